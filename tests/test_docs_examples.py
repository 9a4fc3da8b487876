"""Every ```python example of the README and the docs runs as written.

Each page's examples run in order in one fresh process (a page may build on its
earlier examples), with torch imported first as the environment requires when a
page also uses TensorFlow.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
PAGES_WITH_EXAMPLES = [page for page in PAGES if EXAMPLE.search(page.read_text())]
PRELUDE = "import importlib.util\nif importlib.util.find_spec('torch'):\n    import torch\n"


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=[str(p.relative_to(ROOT)) for p in PAGES_WITH_EXAMPLES])
def test_page_examples_run(page, tmp_path):
    code = PRELUDE + "\n".join(EXAMPLE.findall(page.read_text()))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-5000:]

"""The documentation builds strictly (warnings are errors), with math and plots, and
lists every public function in the API reference."""

import hashlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import imbalance_losses

DOCS = Path(__file__).parents[1] / "docs"


@pytest.mark.skipif(importlib.util.find_spec("sphinx") is None, reason="the docs extra is not installed")
def test_docs_build_strictly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-5000:]
    api = (tmp_path / "api.html").read_text()
    for name in imbalance_losses.__all__:
        if name != "__version__":
            assert f'id="imbalance_losses.{name}"' in api, name
    from imbalance_losses._layers import LOSSES

    for row in LOSSES:  # every framework class, from the class table
        assert f"<code class=\"docutils literal notranslate\"><span class=\"pre\">{row.name}</span></code>" in api, row.name
    assert (tmp_path / "_static" / "mathjax" / "tex-chtml.js").exists()  # math renders offline
    # Every plot is its own figure: on each page, distinct files with distinct pictures.
    figures = 0
    for page in tmp_path.rglob("*.html"):
        sources = re.findall(r'<img [^>]*src="([^"]+\.png)"', page.read_text())
        pictures = [hashlib.sha256((page.parent / src).read_bytes()).hexdigest() for src in sources]
        assert len(set(sources)) == len(sources) and len(set(pictures)) == len(pictures), (page.name, sources)
        figures += len(sources)
    assert figures >= 10  # plots generated from the package


def test_every_public_function_documents_its_formula_and_reference():
    for name in imbalance_losses.__all__:
        obj = getattr(imbalance_losses, name)
        if not callable(obj) or name in ("check_values", "value_checks_enabled", "class_prior", "sampling_weights"):
            continue
        doc = obj.__doc__ or ""
        assert ".. math::" in doc or ":math:" in doc, name
        if name.endswith(("loss", "entropy", "crossentropy")) or name in ("adjust_logits", "class_weights"):
            assert "References" in doc, name

"""Sphinx configuration: furo theme, MyST pages, numpydoc API, math rendered offline."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("."))  # plots.py, used by the plot directive at build time

project = "imbalance_losses"
author = "imbalance_losses developers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
    "sphinx-mathjax-offline",  # serves MathJax from the site itself: math renders without network
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "scripts", "_generated"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
plot_basedir = os.path.dirname(os.path.abspath(__file__))  # `.. plot:: plots.py NAME` from any page
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 120)]
plot_rcparams = {"figure.figsize": (7.5, 3.2), "font.size": 9}
html_theme = "furo"
html_title = "imbalance_losses"


def write_class_table(app):
    """``_generated/framework-classes.md``: every framework class, from the one class table
    (``imbalance_losses._layers.LOSSES``), so that api.md lists each class the moment its
    row exists."""
    from imbalance_losses._layers import (
        BINS,
        CLASSES,
        ELEMENTWISE,
        LOSSES,
        MULTILABEL,
        MULTILABEL_INDICES,
        TARGET_VECTORS,
    )

    layouts = {ELEMENTWISE: "targets of the logits' shape", CLASSES: "class axis (1 in torch, last in Keras)",
               MULTILABEL: "multi-label rows (last axis)", MULTILABEL_INDICES: "positive class indices",
               TARGET_VECTORS: "regression targets (last axis)", BINS: "bins on the last axis, a position per row"}
    rows = ["| class (`imbalance_losses.torch` and `.keras`) | wraps | inputs | state and trainable weights |",
            "|---|---|---|---|"]
    for row in LOSSES:
        held = ["`state` buffer / variable, shape " + str(row.state_shape).replace("'", "")] if row.stateful else []
        held += [f"trainable `{t.weight}`" + (" (ascended)" if t.ascended else "") for t in row.trainable]
        rows.append(f"| `{row.name}` | {{func}}`~imbalance_losses.{row.function.__name__}` | "
                    f"{layouts[row.layout]} | {', '.join(held)} |")
    target = os.path.join(app.srcdir, "_generated", "framework-classes.md")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    text = "\n".join(rows) + "\n"
    if not os.path.exists(target) or open(target).read() != text:
        with open(target, "w") as out:
            out.write(text)


def setup(app):
    app.connect("builder-inited", write_class_table)

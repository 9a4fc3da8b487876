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
exclude_patterns = ["_build", "scripts"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 120)]
plot_rcparams = {"figure.figsize": (7.5, 3.2), "font.size": 9}
html_theme = "furo"
html_title = "imbalance_losses"

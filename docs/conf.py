"""Sphinx configuration of the uws_call_expres / uws_lite documentation.

Built by ``tox -e docs`` (warnings are errors). The tutorial notebook is executed at every
build against the package's embedded OPUS-compatible server (myst-nb): a cell that raises
fails the build, so the pages cannot drift from the code.
"""

from __future__ import annotations

import uws_lite

project = "uws_call_expres"
author = "uws_call_expres developers"
copyright = "uws_call_expres developers"
release = uws_lite.__version__
version = release

extensions = [
    "myst_nb",  # MyST markdown pages and executed notebooks (includes myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

root_doc = "index"
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# MyST: headings get anchors for cross-page links; ::: fences for admonitions.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks: always executed, each cell at most 120 s, an error fails the build.
nb_execution_mode = "force"
nb_execution_in_temp = True  # its files (configs, results, PNGs) never land in docs/
nb_execution_timeout = 120
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# API reference: the public names of each package (its __all__), with the type hints shown
# in the signatures.
autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
    "show-inheritance": True,
}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = f"uws_call_expres {release}"
html_static_path: list[str] = []

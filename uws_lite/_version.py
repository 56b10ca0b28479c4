"""The version of the distribution (``uws_call_expres``, which ships both packages): defined
here and only here. ``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``), both packages'
``__version__``, both command lines' ``--version`` and uws_lite's User-Agent use it. Importing
this module imports nothing else, so the command lines' ``--help`` stays fast."""

__all__ = ["__version__"]

__version__ = "1.0.0"

"""Benchmarks of uws_lite / uws_call_expres against the documented recipe, curl and pyvo.

Run everything with ``python bench/run.py`` (see bench/README.md). Nothing here is imported by
the packages or the tests: timing lives here and only here.
"""

"""How the command line spells its options, and the service it talks to by default:
defined once.

:func:`uws_call_expres.cli.parser.build_parser` adds the options under these names, and every
message that tells a person what to type (the usage checks, the re-attach, list and delete
commands, the hints of :mod:`uws_call_expres.words`) quotes them from here: renaming an
option here renames it in the parser and in every hint. Nothing is imported, so any module
may read these names without loading the parser.
"""

from __future__ import annotations

__all__ = ["DEFAULT_SERVER", "DEV_JOB_LIST", "MAIN_JOB_LIST", "PROG", "Flag"]

PROG = "uws-call-expres"
# The run-on-demand service (OPUS) and its two ExPRES job lists.
DEFAULT_SERVER = "https://voparis-uws-maser.obspm.fr/rest/"
MAIN_JOB_LIST = "ExPRES"
DEV_JOB_LIST = "ExPRES-dev"


class Flag:
    """The spelling of each option (and of the positional argument's metavar)."""

    CONFIG = "CONFIG"
    # other actions (instead of CONFIG)
    ATTACH = "--attach"
    LIST = "--list"
    ABORT = "--abort"
    DELETE = "--delete"
    GRID = "--grid"
    SET = "--set"
    RETRY_FAILED = "--retry-failed"
    CHECK = "--check"
    EXAMPLE_CONFIG = "--example-config"
    DEMO = "--demo"
    # run options
    EPHEM = "--ephem"
    RUN_ID = "--run-id"
    EXECUTION_DURATION = "--execution-duration"
    NO_WAIT = "--no-wait"
    STRICT = "--strict"
    WAIT_TIMEOUT = "--wait-timeout"
    TIMEOUT = "--timeout"  # the old name of --wait-timeout
    REQUEST_TIMEOUT = "--request-timeout"
    MAX_PARALLEL = "--max-parallel"
    # access
    LOGIN = "--login"
    BRANCH = "--branch"
    JOB_LIST = "--job-list"
    SERVER = "--server"
    URL = "--url"
    # output
    OUTPUT_SHORT = "-o"
    OUTPUT_DIR = "--output-dir"
    OUTPUT = "--output"  # uws-lite's name of --output-dir
    OVERWRITE = "--overwrite"
    PLOT = "--plot"
    QUIET_SHORT = "-q"
    QUIET = "--quiet"
    JSON = "--json"
    NO_PROGRESS = "--no-progress"
    DEBUG = "--debug"
    VERSION = "--version"

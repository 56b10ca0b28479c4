"""How ``uws-lite`` spells its options and commands, defined once.

:func:`uws_lite.cli.parser.build_parser` adds the options and commands under these names, and
every message that tells a person what to type (the hints after an error, the command to run
next) quotes them from here: renaming an option here renames it in the parser and in every
hint. Nothing is imported, so any module may read these names without loading the parser.
"""

from __future__ import annotations

__all__ = ["EXAMPLE_DACHS", "EXAMPLE_OPUS", "OVERWRITE_CHOICES", "PROG", "Command", "Flag"]

PROG = "uws-lite"
# The job list URLs the help texts and hints show as examples.
EXAMPLE_OPUS = "https://voparis-uws-maser.obspm.fr/rest/ExPRES"
EXAMPLE_DACHS = "http://127.0.0.1:8089/tap/async"
# download --overwrite POLICY, as in uws-call-expres; a bare --overwrite means "always".
OVERWRITE_CHOICES = ("rename", "always", "never")


class Flag:
    """The spelling of each option (the same as uws-call-expres's where both have one)."""

    # every command's
    URL = "--url"
    LOGIN = "--login"
    REQUEST_TIMEOUT = "--request-timeout"
    TIMEOUT = "--timeout"  # the old name of --request-timeout
    JSON = "--json"
    QUIET_SHORT = "-q"
    QUIET = "--quiet"
    DEBUG = "--debug"
    TOKEN = "--token"  # noqa: S105 (refused: a token is never taken on the command line)
    PASSWORD = "--password"  # noqa: S105 (refused, as --token)
    VERSION = "--version"
    # list
    PHASE = "--phase"
    AFTER = "--after"
    LAST = "--last"
    # show
    WAIT = "--wait"
    WAIT_TIMEOUT = "--wait-timeout"
    # new
    RUN = "--run"
    # download
    OUTPUT_SHORT = "-o"
    OUTPUT = "--output"
    OUTPUT_DIR = "--output-dir"
    OVERWRITE = "--overwrite"


class Command:
    """The name of each command."""

    LIST = "list"
    SHOW = "show"
    NEW = "new"
    SET = "set"
    DURATION = "duration"
    DESTRUCTION = "destruction"
    RUN = "run"
    ABORT = "abort"
    DELETE = "delete"
    RESULTS = "results"
    ERROR = "error"
    DOWNLOAD = "download"

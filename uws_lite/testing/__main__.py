"""``python -m uws_lite.testing``: the OPUS-compatible test server as an offline demo.

    python -m uws_lite.testing --port 8082 --example-config example.json
    python -m uws_call_expres example.json --server http://127.0.0.1:8082/rest/

Serves on loopback until Ctrl-C and prints the URLs and a command to try.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from .plan import OUTCOMES, RunPlan
from .server import DEFAULT_LISTS, OpusServer

# A small config with every top-level section ExPRES expects (values are not used here).
EXAMPLE_CONFIG = {
    "SIMU": {"NAME": "demo_run", "OUT": ""},
    "NUMBER": {"BODY": 1, "DENSITY": 1, "SOURCE": 1},
    "TIME": {"MIN": 0, "MAX": 1440, "NBR": 1440},
    "FREQUENCY": {"TYPE": "Linear", "MIN": 0.01, "MAX": 44.0, "NBR": 781, "SC": ""},
    "OBSERVER": {"TYPE": "Fixed", "EPHEM": "", "PARENT": "Jupiter", "SC": "Earth"},
    "SPDYN": {"INTENSITY": True, "POLAR": True},
    "MOVIE2D": {"ON": False},
    "MOVIE3D": {"ON": False},
    "BODY": [{"ON": True, "NAME": "Jupiter", "RADIUS": 1}],
    "SOURCE": [{"ON": True, "NAME": "io_north", "PARENT": "Jupiter", "SAT": "Io", "NORTH": True}],
}


def _user(text: str) -> Tuple[str, str, FrozenSet[str]]:
    name, sep, rest = text.partition(":")
    token, _, lists = rest.partition(":")
    if not sep or not name or not token:
        raise argparse.ArgumentTypeError("expected NAME:TOKEN or NAME:TOKEN:LIST[,LIST]")
    roles = frozenset(lists.split(",")) if lists else frozenset(DEFAULT_LISTS)
    return name, token, roles


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m uws_lite.testing",
        description="Serve a local, OPUS-compatible ExPRES UWS service on loopback (offline "
        "demo and test server). Jobs are simulated: no ExPRES runs, results are generated.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8082, help="default %(default)s; 0 = any")
    parser.add_argument("--base-url", help="public URL written in links (default http://HOST:PORT)")
    parser.add_argument(
        "--user",
        action="append",
        type=_user,
        default=[],
        metavar="NAME:TOKEN[:LISTS]",
        help="an authenticated user (repeatable); LISTS defaults to ExPRES,ExPRES-dev",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds a run executes")
    parser.add_argument("--outcome", choices=OUTCOMES, default="COMPLETED")
    parser.add_argument(
        "--cdf-size",
        type=int,
        help="bytes of generated CDF-like content per result (default: a small real ExPRES-"
        "shaped CDF built from the config when cdflib is installed, else 1 MiB generated)",
    )
    parser.add_argument(
        "--late-results",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="list provjson this long after COMPLETED, as OPUS does (about 0.15); default 0",
    )
    parser.add_argument(
        "--example-config",
        type=Path,
        metavar="PATH",
        help="write a small example config here (never overwrites: an existing PATH is refused)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    users: Dict[str, Tuple[str, FrozenSet[str]]] = {n: (t, r) for n, t, r in args.user}
    plan = RunPlan(
        duration=args.duration,
        outcome=args.outcome,
        cdf_size=args.cdf_size,
        late_results=args.late_results,
    )
    log = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if args.example_config is not None and (
        args.example_config.exists() or args.example_config.is_symlink()
    ):
        print(
            f"{args.example_config} already exists: --example-config never overwrites a file; "
            "give another name (e.g. --example-config demo-example.json) or remove it first",
            file=sys.stderr,
        )
        return 2
    try:
        server = OpusServer(
            args.host, args.port, base_url=args.base_url, users=users, run_plan=plan, log=log
        )
        server.start()
    except (OSError, ValueError) as exc:
        print(f"cannot start the server: {exc}", file=sys.stderr)
        return 2
    if args.example_config is not None:
        try:
            _write_new(args.example_config, json.dumps(EXAMPLE_CONFIG, indent=2) + "\n")
        except OSError as exc:
            server.stop()
            print(f"cannot write {args.example_config}: {exc}", file=sys.stderr)
            return 2
    done = threading.Event()
    # SIGTERM (kill, a CI job ending) stops it as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("\n".join(_banner(server, users, args.example_config)), flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping", file=sys.stderr)
        server.stop()
    return 0


def _write_new(path: Path, text: str) -> None:
    """Write ``text`` to a new file ``path``; FileExistsError if it exists (even if it
    appeared after the check in main)."""
    with path.open("x", encoding="utf-8") as stream:
        stream.write(text)


def _banner(
    server: OpusServer, users: Dict[str, Tuple[str, FrozenSet[str]]], config: Optional[Path]
) -> List[str]:
    example = str(config) if config is not None else "example.json"
    lines = [
        f"OPUS-compatible ExPRES test server on {server.base_url} (Ctrl-C to stop)",
        f"  guest job list:    {server.list_url('ExPRES')}",
        f"  develop job list:  {server.list_url('ExPRES-dev')} (authenticated users)",
        "",
        "Try (in another terminal):",
        f"  python -m uws_call_expres {example} --server {server.rest_url}",
    ]
    for name in users:
        lines.append(
            f"  EXPRES_TOKEN=<{name}'s token> python -m uws_call_expres {example} "
            f"--login {name} --branch develop --server {server.rest_url}"
        )
    lines += [
        "",
        'A config may choose the simulated outcome: "_test": {"duration": 2, "outcome": "ERROR"}',
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())

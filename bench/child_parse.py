"""Child process of the parse figure: time one parser on the two documents.

    python -m bench.child_parse uws_lite|pyvo LIST_PATH JOB_PATH LIST_REPEATS JOB_REPEATS

prints one JSON object: per-repetition seconds for each document and what was read (a
sanity check that both parsers really read the whole document). pyvo runs with bench/.pyvo
on ``sys.path``.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple


def _uws_lite() -> Tuple[Callable[[bytes], int], Callable[[bytes], int]]:
    from uws_lite.documents import parse_job, parse_job_list

    return (lambda b: len(parse_job_list(b).jobs)), (lambda b: len(parse_job(b).results))


def _pyvo() -> Tuple[Callable[[bytes], int], Callable[[bytes], int]]:
    import warnings

    from pyvo.io.uws import parse_job, parse_job_list  # type: ignore[import-not-found]

    warnings.simplefilter("ignore")  # pyvo warns about OPUS's non-standard attributes
    return (
        lambda b: len(parse_job_list(io.BytesIO(b))),
        lambda b: len(parse_job(io.BytesIO(b)).results),
    )


def _time(parse: Callable[[bytes], int], data: bytes, repeats: int) -> Dict[str, Any]:
    count = parse(data)  # warm-up (first-call imports, caches)
    times: List[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        parse(data)
        times.append(time.perf_counter() - start)
    return {"times": times, "count": count}


def main(argv: List[str]) -> int:
    which, list_path, job_path = argv[0], argv[1], argv[2]
    list_repeats, job_repeats = int(argv[3]), int(argv[4])
    parse_list, parse_job = _pyvo() if which == "pyvo" else _uws_lite()
    out = {
        "list": _time(parse_list, Path(list_path).read_bytes(), list_repeats),
        "job": _time(parse_job, Path(job_path).read_bytes(), job_repeats),
    }
    if which == "uws_lite":
        # The floor: lxml building the tree alone, with no UWS objects made.
        from lxml import etree

        def tree_only(data: bytes) -> int:
            return len(etree.fromstring(data))

        out["list_lxml"] = _time(tree_only, Path(list_path).read_bytes(), list_repeats)
        out["job_lxml"] = _time(tree_only, Path(job_path).read_bytes(), job_repeats)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

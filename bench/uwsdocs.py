"""Large UWS documents written the way OPUS writes them (../shared/reference/opus-server.md):
UWS 1.0 namespace, no ``version`` attribute, naive local times, URL-encoded parameter values,
``name``/``hash`` result attributes, ``xsi:nil`` for empty values."""

from __future__ import annotations

_NS = (
    'xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" xmlns:xlink="http://www.w3.org/1999/xlink"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
_BASE = "http://127.0.0.1:8082"


def job_list(n_jobs: int) -> bytes:
    phases = ("COMPLETED", "ERROR", "EXECUTING", "ABORTED", "PENDING")
    refs = "".join(
        f'<uws:jobref id="{i:06x}" xlink:href="{_BASE}/rest/ExPRES/{i:06x}">'
        f"<uws:phase>{phases[i % len(phases)]}</uws:phase>"
        f"<uws:runId>run_{i}</uws:runId><uws:ownerId>anonymous</uws:ownerId>"
        f"<uws:creationTime>2026-11-{1 + i % 28:02d}T22:{i % 60:02d}:01</uws:creationTime>"
        "</uws:jobref>"
        for i in range(n_jobs)
    )
    return f"<uws:jobs {_NS}>{refs}</uws:jobs>".encode()


def job_with_results(n_results: int) -> bytes:
    results = "".join(
        f'<uws:result id="expres_run_{i:04d}.cdf" xlink:href="{_BASE}/store?ID={i:06x}"'
        f' mime-type="application/x-cdf" name="{i:06x}_expres_run_{i:04d}.cdf"'
        f' hash="{i:040x}"/>'
        for i in range(n_results)
    )
    return (
        f"<uws:job {_NS}>"
        "<uws:jobId>2a3490</uws:jobId><uws:runId>myrun</uws:runId>"
        "<uws:ownerId>anonymous</uws:ownerId><uws:phase>COMPLETED</uws:phase>"
        "<uws:creationTime>2026-11-24T22:39:01</uws:creationTime>"
        "<uws:startTime>2026-11-24T22:39:08</uws:startTime>"
        "<uws:endTime>2026-11-24T22:39:12</uws:endTime>"
        # OPUS writes <uws:quote>120</uws:quote> (a duration); pyvo refuses that ("Cannot
        # parse datetime 120"), so the timed document leaves the quote out.
        "<uws:executionDuration>60</uws:executionDuration>"
        "<uws:destruction>2026-12-24T22:39:01</uws:destruction>"
        "<uws:parameters>"
        '<uws:parameter id="branch" byReference="0">master</uws:parameter>'
        '<uws:parameter id="config" byReference="1">'
        "http%3A%2F%2F127.0.0.1%3A8082%2Fstore%3FID%3Dc241d7</uws:parameter>"
        '<uws:parameter id="runId" byReference="0">myrun</uws:parameter>'
        "</uws:parameters>"
        f"<uws:results>{results}</uws:results>"
        '<uws:errorSummary xsi:nil="true"/>'
        "<uws:jobInfo><process_id>10536</process_id></uws:jobInfo>"
        "</uws:job>"
    ).encode()

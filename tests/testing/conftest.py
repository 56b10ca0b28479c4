"""Helpers for the tests of the local OPUS-compatible server.

These tests talk to the server with plain ``requests`` and ElementTree (never through
uws_lite's client), so a bug in the client cannot hide a bug in the server, and vice versa.
The ``opus_server`` fixture comes from the package's pytest plugin.
"""

from __future__ import annotations

import html
import json
import re
import time
import xml.etree.ElementTree as ET
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest
import requests

from uws_lite.testing import OpusServer
from uws_lite.testing.pytest_plugin import TEST_TOKEN, TEST_USER

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
ALICE = (TEST_USER, TEST_TOKEN)

# A trimmed ExPRES config (the top-level sections of
# ../shared/expres/expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json).
BASE_CONFIG: Dict[str, Any] = {
    "SIMU": {"NAME": "Io2015-04-30", "OUT": ""},
    "NUMBER": {"BODY": 2, "DENSITY": 2, "SOURCE": 2},
    "TIME": {"MIN": 0, "MAX": 1440, "NBR": 1440},
    "FREQUENCY": {"TYPE": "Linear", "MIN": 0.01, "MAX": 44.0, "NBR": 781, "SC": ""},
    "OBSERVER": {"TYPE": "Fixed", "EPHEM": "", "PARENT": "Jupiter", "SC": "Earth"},
}


def config_bytes(ephem: str = "", **test: Any) -> bytes:
    """A config; keyword arguments become its ``_test`` run-plan overrides."""
    document = json.loads(json.dumps(BASE_CONFIG))
    document["OBSERVER"]["EPHEM"] = ephem
    if test:
        document["_test"] = test
    return json.dumps(document).encode()


class Api:
    """A thin, explicit HTTP helper: every call says which URL and credentials it uses."""

    def __init__(self, server: OpusServer) -> None:
        self.server = server
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.server.base_url + path

    def get(
        self, path: str, auth: Optional[Tuple[str, str]] = None, **kw: Any
    ) -> requests.Response:
        kw.setdefault("timeout", 10)
        return self.session.get(self.url(path), auth=auth, allow_redirects=False, **kw)

    def post(
        self, path: str, auth: Optional[Tuple[str, str]] = None, **kw: Any
    ) -> requests.Response:
        kw.setdefault("timeout", 10)
        return self.session.post(self.url(path), auth=auth, allow_redirects=False, **kw)

    def delete(self, path: str, auth: Optional[Tuple[str, str]] = None) -> requests.Response:
        return self.session.delete(self.url(path), auth=auth, allow_redirects=False, timeout=10)

    def create(
        self,
        list_name: str = "ExPRES",
        *,
        auth: Optional[Tuple[str, str]] = None,
        config: Optional[bytes] = None,
        data: Optional[Dict[str, str]] = None,
        files: Optional[Dict[str, Any]] = None,
        run: bool = True,
        **test: Any,
    ) -> requests.Response:
        form = {"runId": "myrun", "branch": "master"}
        form.update(data or {})
        if run:
            form["PHASE"] = "RUN"
        parts: Dict[str, Any] = {"config": ("example.json", config or config_bytes(**test))}
        parts.update(files or {})
        return self.post(f"/rest/{list_name}", auth=auth, data=form, files=parts)

    def create_job(self, list_name: str = "ExPRES", **kw: Any) -> str:
        response = self.create(list_name, **kw)
        assert response.status_code == 303, response.text
        return str(response.headers["Location"].rsplit("/", 1)[1])

    def job(
        self,
        job_id: str,
        list_name: str = "ExPRES",
        auth: Optional[Tuple[str, str]] = None,
        **params: Any,
    ) -> ET.Element:
        response = self.get(f"/rest/{list_name}/{job_id}", auth=auth, params=params)
        assert response.status_code == 200, response.text
        return ET.fromstring(response.content)  # noqa: S314 (our own server)

    def wait_for(
        self,
        job_id: str,
        phases: Tuple[str, ...] = ("COMPLETED", "ERROR", "ABORTED"),
        list_name: str = "ExPRES",
        auth: Optional[Tuple[str, str]] = None,
    ) -> ET.Element:
        deadline = time.monotonic() + 20
        while True:
            document = self.job(job_id, list_name, auth)
            phase = text(document, "phase")
            if phase in phases:
                return document
            assert time.monotonic() < deadline, f"job {job_id} still {phase}"
            self.job(job_id, list_name, auth, WAIT=5, PHASE=phase)


def message(response: requests.Response) -> str:
    """The message of an OPUS (bottle) error page: the text of its <pre>."""
    found = re.search(r"<pre>(.*)</pre>", response.text, re.S)
    assert found is not None, f"not an error page: {response.text[:200]!r}"
    return html.unescape(found.group(1))


def text(element: ET.Element, tag: str) -> Optional[str]:
    found = element.find(UWS + tag)
    assert found is not None, f"no <uws:{tag}>"
    return found.text


def is_nil(element: ET.Element, tag: str) -> bool:
    found = element.find(UWS + tag)
    return found is not None and found.get(XSI + "nil") == "true"


def results(element: ET.Element) -> Dict[str, Dict[str, str]]:
    return {r.attrib["id"]: dict(r.attrib) for r in element.iter(UWS + "result")}


def params(element: ET.Element) -> Dict[str, Tuple[str, str]]:
    return {
        p.attrib["id"]: (p.text or "", p.attrib["byReference"])
        for p in element.iter(UWS + "parameter")
    }


# Test files cannot import this module (--import-mode=importlib): they reach the helpers
# through the ``api`` fixture.
Api.config_bytes = staticmethod(config_bytes)  # type: ignore[attr-defined]
Api.message = staticmethod(message)  # type: ignore[attr-defined]
Api.text = staticmethod(text)  # type: ignore[attr-defined]
Api.is_nil = staticmethod(is_nil)  # type: ignore[attr-defined]
Api.results = staticmethod(results)  # type: ignore[attr-defined]
Api.params = staticmethod(params)  # type: ignore[attr-defined]
Api.UWS, Api.XLINK, Api.XSI, Api.ALICE = UWS, XLINK, XSI, ALICE  # type: ignore[attr-defined]


@pytest.fixture
def api(opus_server: OpusServer) -> Iterator[Api]:
    helper = Api(opus_server)
    yield helper
    helper.session.close()

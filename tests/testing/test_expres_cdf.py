"""The embedded server's real ExPRES-shaped CDF results (uws_lite/testing/expres_cdf.py).

Read back with cdflib directly (not with uws_call_expres.science), so a bug in the reader
cannot hide a bug in the writer.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from uws_lite.testing import build_expres_cdf, expres_cdf, expres_cdf_shape, generated_content
from uws_lite.testing.plan import DEFAULT_CDF_SIZE, RunPlan, read_overrides

cdflib = pytest.importorskip("cdflib")
np = pytest.importorskip("numpy")

CONFIG: Dict[str, Any] = {
    "SIMU": {"NAME": "shape", "OUT": ""},
    "TIME": {"MIN": 0, "MAX": 120, "NBR": 61},
    "FREQUENCY": {"TYPE": "Linear", "MIN": 1.0, "MAX": 40.0, "NBR": 40, "SC": ""},
    "OBSERVER": {"TYPE": "Fixed", "EPHEM": "", "PARENT": "Jupiter", "SC": "Juno"},
    "SPDYN": {
        "CDF": {
            "THETA": True,
            "FP": False,
            "FC": True,
            "CML": True,
            "SRCFREQMAX": True,
            "OBSLOCALTIME": True,
        }
    },
    "SOURCE": [
        {"ON": True, "NAME": "S1", "SAT": "Io", "NORTH": True, "SOUTH": False, "LG_NBR": 1},
        {"ON": False, "NAME": "off", "SAT": "Europa", "NORTH": True, "LG_NBR": 1},
        {"ON": True, "NAME": "S3", "SAT": "Ganymede", "NORTH": False, "SOUTH": True, "LG_NBR": 2},
    ],
}
CONFIG["OBSERVER"]["SCTIME"] = "202112180600"


def _open(tmp_path: Path, data: bytes) -> Any:
    path = tmp_path / "result.cdf"
    path.write_bytes(data)
    return cdflib.CDF(str(path))


def test_the_file_follows_the_config_with_real_cdf_types(tmp_path: Path) -> None:
    cdf = _open(tmp_path, build_expres_cdf(json.dumps(CONFIG).encode()))
    info = cdf.cdf_info()
    assert info.Majority == "Row_major"
    assert not info.Compressed
    names = set(info.zVariables)
    assert {"Epoch", "Frequency", "Src_ID_Label", "Polarization", "Theta", "FC", "CML"} <= names
    assert "FP" not in names  # SPDYN.CDF.FP is false
    assert {"SrcFreqMax", "SrcFreqMaxCMI"} <= names
    assert cdf.varinq("ObsLocalTime").Last_Rec == -1  # declared, no record: like ExPRES
    assert cdf.varinq("Epoch").Data_Type_Description == "CDF_TIME_TT2000"
    assert cdf.varinq("Theta").Data_Type_Description == "CDF_REAL4"
    assert cdf.varinq("Polarization").Data_Type_Description == "CDF_INT2"
    assert not cdf.varinq("Frequency").Rec_Vary
    labels = [str(v).strip() for v in cdf.varget("Src_ID_Label")]
    assert labels == ["Io NORTH", "Ganymede SOUTH", "Ganymede SOUTH"]  # ON sources, LG_NBR
    times = cdflib.cdfepoch.to_datetime(cdf.varget("Epoch"))
    assert len(times) == 61
    assert str(times[0]).startswith("2021-12-18T06:00:00")
    assert str(times[1]).startswith("2021-12-18T06:02:00")  # MAX / (NBR - 1) minutes
    frequency = cdf.varget("Frequency")
    assert frequency.shape == (40,)
    assert frequency[0] == pytest.approx(1.0)
    assert frequency[-1] == pytest.approx(40.0)
    assert cdf.varattsget("Frequency")["UNITS"] == "MHz"
    theta = cdf.varget("Theta")
    assert theta.shape == (61, 40, 3)
    attrs = cdf.varattsget("Theta")
    assert (attrs["DEPEND_0"], attrs["DEPEND_1"], attrs["DEPEND_2"]) == (
        "Epoch",
        "Frequency",
        "Src_ID_Label",
    )
    assert attrs["UNITS"] == "Degree"
    fill = attrs["FILLVAL"]
    assert fill.dtype == np.float32  # REAL4 fill on a REAL4 variable (else fill != data)
    hidden = theta == fill
    assert 0.5 < hidden.mean() < 1.0  # mostly "not visible", as in real files
    assert np.all((theta[~hidden] >= 0) & (theta[~hidden] <= 90))
    for s in range(3):
        assert (~hidden[:, :, s]).any(), f"source {s} is never visible"
    polar = cdf.varget("Polarization")
    assert set(np.unique(polar).tolist()) <= {-1, 1, 32767}
    assert (polar == -1).any()
    assert (polar == 1).any()
    assert cdf.globalattsget()["Source_name"] == ["ExPRES"]
    assert cdf.globalattsget()["Logical_source"] == ["expres_juno_jupiter_io"]


def test_caps_log_axis_and_fallback_to_the_example_shape() -> None:
    big = json.loads(json.dumps(CONFIG))
    big["TIME"]["NBR"] = 100_000
    big["FREQUENCY"].update({"TYPE": "Log", "MIN": 0.1, "MAX": 30.0, "NBR": 5000})
    big["SOURCE"] = [{"ON": True, "SAT": "Io", "NORTH": True, "LG_NBR": 50}]
    shape = expres_cdf_shape.shape_of(json.dumps(big).encode())
    assert len(shape.minutes) == expres_cdf_shape.MAX_TIMES
    assert shape.minutes[-1] == pytest.approx(120.0)
    assert len(shape.frequencies) == expres_cdf_shape.MAX_FREQUENCIES
    assert shape.log_frequency
    ratios = np.diff(np.log(shape.frequencies))
    assert np.allclose(ratios, ratios[0])
    assert len(shape.labels) == expres_cdf_shape.MAX_SOURCES
    for odd in (b"not json", b"[1, 2]", b'{"TIME": "x", "FREQUENCY": {"MIN": -3}, "SOURCE": 7}'):
        fallback = expres_cdf_shape.shape_of(odd)
        assert fallback.labels == ("Io NORTH", "Io SOUTH")
        assert fallback.frequencies[0] == pytest.approx(0.01)
        assert fallback.frequencies[-1] == pytest.approx(44.0)
        assert fallback.start.isoformat() == "2015-04-30T00:00:00"
        assert expres_cdf.build(odd)[:4] == b"\xcd\xf3\x00\x01"


def test_a_run_without_a_size_serves_the_real_cdf_with_hash_and_ranges(
    api: Any, tmp_path: Path
) -> None:
    job_id = api.create_job(cdf_size=None)  # "_test": {"cdf_size": null}
    results = api.results(api.wait_for(job_id))
    (name,) = [rid for rid in results if rid.endswith(".cdf")]
    href = results[name][api.XLINK + "href"]
    response = api.get(href)
    assert response.status_code == 200
    data = response.content
    assert data[:4] == b"\xcd\xf3\x00\x01"
    assert response.headers["Content-Length"] == str(len(data))
    assert "Last-Modified" in response.headers
    assert hashlib.sha1(data, usedforsecurity=False).hexdigest() == results[name]["hash"]
    assert data != generated_content(0, len(data))
    part = api.get(href, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    cdf = _open(tmp_path, data)
    assert cdf.varget("Theta").shape[2] == 2  # BASE_CONFIG has no SOURCE: Io NORTH/SOUTH


def test_an_explicit_size_keeps_the_generated_stream(api: Any) -> None:
    job_id = api.create_job(cdf_size=5000)
    results = api.results(api.wait_for(job_id))
    (name,) = [rid for rid in results if rid.endswith(".cdf")]
    assert api.get(results[name][api.XLINK + "href"]).content == generated_content(0, 5000)


def test_null_size_is_a_valid_override_and_the_default() -> None:
    overrides, failure = read_overrides(b'{"_test": {"cdf_size": null}}')
    assert failure is None
    assert overrides == {"cdf_size": None}
    assert RunPlan().cdf_size is None
    assert RunPlan().generated_size() is None  # cdflib is importable here
    assert RunPlan(cdf_size=10).generated_size() == 10


def test_without_cdflib_the_default_result_is_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cdflib", None)  # import cdflib now fails
    assert not expres_cdf.available()
    assert expres_cdf.result_bytes(b"{}") is None
    assert RunPlan().generated_size() == DEFAULT_CDF_SIZE

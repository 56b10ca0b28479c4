"""Reading and drawing result CDFs: read_cdf, quicklook, ExpresRun.open, --plot.

The CDFs come from the embedded server (a real run against the ``opus_server`` fixture with
no explicit result size) or from its writer, uws_lite.testing.expres_cdf, directly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from uws_call_expres.cli import main
from uws_call_expres.errors import CdfError, MissingExtra
from uws_lite.models import Phase
from uws_lite.testing import OpusServer
from uws_lite.testing.plan import RunPlan

np = pytest.importorskip("numpy")
cdflib = pytest.importorskip("cdflib")
pytest.importorskip("xarray")
pytest.importorskip("matplotlib")

from uws_call_expres import ExpresRun, quicklook, read_cdf, uws_call_expres  # noqa: E402
from uws_lite.testing import expres_cdf  # noqa: E402

CONFIG = (
    Path(__file__).parent
    / "data"
    / "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json"
)
INSTALL = "pip install 'uws_call_expres[science]'"


def _config(tmp_path: Path, name: str = "io.json", **changes: Any) -> Path:
    document = json.loads(CONFIG.read_text())
    document["TIME"].update({"MAX": 720, "NBR": 90})
    document["FREQUENCY"].update({"NBR": 60})
    document["SPDYN"]["CDF"]["OBSLOCALTIME"] = True  # declared with no record, as ExPRES does
    document.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def server(opus_server_factory: Any, monkeypatch: pytest.MonkeyPatch) -> OpusServer:
    """A server whose runs produce the real ExPRES CDF (no explicit ``cdf_size``)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    started: OpusServer = opus_server_factory(run_plan=RunPlan(duration=0.2, queued=0.05))
    return started


@pytest.fixture
def written(tmp_path: Path) -> Path:
    path = tmp_path / "direct.cdf"
    path.write_bytes(expres_cdf.build(_config(tmp_path).read_bytes()))
    return path


def _run(server: OpusServer, tmp_path: Path) -> ExpresRun:
    return uws_call_expres(
        FILE=str(_config(tmp_path)),
        LOOP=True,
        server=server.rest_url,
        output_dir=tmp_path / "out",
        progress=False,
        verbose=False,
    )


def _check_dataset(dataset: Any) -> None:
    assert set(dataset.dims) >= {"time", "frequency", "source"}
    assert dataset["time"].dtype == np.dtype("datetime64[ns]")
    assert dataset.sizes["time"] == 90
    assert dataset.sizes["frequency"] == 60
    assert str(dataset["time"].values[0]).startswith("2015-04-30T00:00:00")
    assert dataset["frequency"].attrs["units"] == "MHz"
    assert float(dataset["frequency"][-1]) == pytest.approx(44.0)
    assert list(dataset["source"].values) == ["Io NORTH", "Io SOUTH"]
    theta = dataset["Theta"]
    assert theta.dims == ("frequency", "time", "source")  # maser4py's order
    assert theta.dtype == np.float32
    assert theta.attrs["units"] == "Degree"
    assert theta.attrs["title"] == "Beaming Angle of observed sources"
    values = theta.values
    hidden = np.isnan(values)
    assert 0.5 < hidden.mean() < 1.0  # fill (not visible) became NaN
    assert np.all((values[~hidden] >= 0) & (values[~hidden] <= 90))
    assert not (values == np.float32(-1e31)).any()
    polar = dataset["Polarization"]
    assert polar.dims == ("frequency", "time")
    assert set(np.unique(polar.values[~np.isnan(polar.values)]).tolist()) == {-1.0, 1.0}
    assert dataset["CML"].dims == ("time",)
    assert dataset["CML"].attrs["units"] == "deg"
    assert "ObsLocalTime" not in dataset  # no records: left out
    assert dataset.attrs["Source_name"] == "ExPRES"


def test_read_cdf_of_the_writer_matches_the_raw_file(written: Path) -> None:
    dataset = read_cdf(written)
    _check_dataset(dataset)
    raw = cdflib.CDF(str(written)).varget("Theta")  # [time, frequency, source]
    fill = raw == np.float32(-1e31)
    assert np.array_equal(np.isnan(dataset["Theta"].values), fill.transpose(1, 0, 2))
    assert np.array_equal(dataset["Theta"].values.transpose(1, 0, 2)[~fill], raw[~fill])


def test_open_a_real_run_of_the_embedded_server(server: OpusServer, tmp_path: Path) -> None:
    run = _run(server, tmp_path)
    assert run.ok
    assert run.cdf is not None
    assert run.cdf.suffix == ".cdf"
    assert run.cdf_files == (run.cdf,)
    _check_dataset(run.open())


def test_open_without_a_cdf_says_why() -> None:
    run = ExpresRun(
        job_id="abc123",
        job_url="http://x/rest/ExPRES/abc123",
        job_list="ExPRES",
        branch=None,
        run_id=None,
        phase=Phase.ERROR,
        ok=False,
        files=(Path("stdout"),),
    )
    assert run.cdf is None
    with pytest.raises(CdfError, match=r"abc123 \(ERROR\) saved no \.cdf file \(stdout\)"):
        run.open()


def _pixels(path: Path) -> Any:
    import matplotlib.image

    return matplotlib.image.imread(str(path))


def _check_picture(path: Path, width: int, height: int) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = _pixels(path)
    assert pixels.shape[:2] == (height, width)
    rgb = (pixels[:, :, :3] * 255).astype(int).reshape(-1, 3)
    colours = np.unique(rgb, axis=0)
    assert len(colours) > 50  # a colour map, axes, text: not a blank page
    assert float(rgb.std()) > 20


def test_quicklook_writes_a_two_panel_png_of_fixed_size(written: Path, tmp_path: Path) -> None:
    out = quicklook(written, tmp_path / "pictures" / "theta.png")
    assert out == tmp_path / "pictures" / "theta.png"
    _check_picture(out, 1000, 570)  # 10 in x (1.1 + 2 x 2.3) in at 100 dpi


def test_quicklook_of_a_dataset_and_a_variable_without_sources(
    written: Path, tmp_path: Path
) -> None:
    out = quicklook(read_cdf(written), tmp_path / "polar.png", variable="Polarization")
    _check_picture(out, 1000, 340)  # one panel


def test_quicklook_refuses_what_it_cannot_draw(written: Path, tmp_path: Path) -> None:
    dataset = read_cdf(written)
    with pytest.raises(CdfError, match=r"no variable 'Azimuth' in the CDF \(variables: CML"):
        quicklook(dataset, tmp_path / "a.png", variable="Azimuth")
    with pytest.raises(CdfError, match="'CML' is not a spectrogram"):
        quicklook(dataset, tmp_path / "b.png", variable="CML")
    assert not list(tmp_path.glob("*.png"))
    with pytest.raises(CdfError, match="no CDF file at"):
        read_cdf(tmp_path / "missing.cdf")
    (tmp_path / "junk.cdf").write_bytes(b"not a cdf at all")
    with pytest.raises(CdfError, match="is not a readable CDF file"):
        read_cdf(tmp_path / "junk.cdf")


def test_cli_plot_after_a_run(
    server: OpusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["--server", server.rest_url, "-o", str(out), "--no-progress", "--plot", "--json"]
    code = main([*args, str(_config(tmp_path))])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (cdf,) = out.glob("*.cdf")
    png = cdf.with_suffix(".png")
    _check_picture(png, 1000, 570)
    assert f"Quick-look: {png}" in captured.err  # --json: messages on standard error
    (document,) = json.loads(captured.out)["runs"]
    assert document["plots"] == [{"cdf": str(cdf), "png": str(png), "error": None}]


def test_cli_plot_after_a_sweep_and_an_attach(
    server: OpusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    configs = [str(_config(tmp_path, name)) for name in ("a.json", "b.json")]
    assert main(["--server", server.rest_url, "-o", str(out), "--plot", "-q", *configs]) == 0
    pngs = sorted(out.glob("*/*.png"))
    assert len(pngs) == 2  # one per job, beside its CDF in OUTPUT_DIR/<job id>/
    assert len({png.parent for png in pngs}) == 2
    for png in pngs:
        assert png.with_suffix(".cdf").is_file()
        _check_picture(png, 1000, 570)
    started = uws_call_expres(
        FILE=configs[0], LOOP=False, server=server.rest_url, output_dir=tmp_path, verbose=False
    )
    again = tmp_path / "again"
    args = ["--server", server.rest_url, "-o", str(again), "--no-progress", "--plot"]
    assert main([*args, "--attach", started.job_id]) == 0
    assert "Quick-look:" in capsys.readouterr().out
    (png,) = again.glob("*.png")
    _check_picture(png, 1000, 570)


def test_cli_plot_only(written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "second.CDF"
    other.write_bytes(written.read_bytes())
    assert main(["--plot", str(written), str(other)]) == 0
    assert f"Quick-look: {written.with_suffix('.png')}" in capsys.readouterr().out
    _check_picture(written.with_suffix(".png"), 1000, 570)
    _check_picture(other.with_suffix(".png"), 1000, 570)
    missing = tmp_path / "missing.cdf"
    assert main(["--plot", "--json", str(written), str(missing)]) == 2
    captured = capsys.readouterr()
    assert f"error: no CDF file at {missing}" in captured.err
    plots = json.loads(captured.out)["plots"]
    assert [p["png"] for p in plots] == [str(written.with_suffix(".png")), None]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["a.cdf"], "a.cdf is a CDF file, not a config: add --plot"),
        (["--plot", "a.cdf", "b.json"], "give either CONFIG files to run or .cdf files to plot"),
        (["--plot", "--no-wait", "b.json"], "--plot needs the results"),
        (["--plot", "--list"], "--plot applies to runs, --attach, --demo and .cdf files"),
        (["--plot", "--ephem", "e.txt", "a.cdf"], "--ephem applies to CONFIG runs only"),
    ],
)
def test_cli_plot_usage_errors(argv: Any, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_missing_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "cdflib", None)  # `import cdflib` now raises ImportError
    with pytest.raises(MissingExtra, match=r"needs cdflib, which is not installed") as info:
        read_cdf(tmp_path / "x.cdf")
    assert INSTALL in str(info.value)
    assert isinstance(info.value, ImportError)
    run = ExpresRun("j", "u", "ExPRES", None, None, Phase.COMPLETED, True, files=(Path("a.cdf"),))
    with pytest.raises(MissingExtra):
        run.open()
    # The command line stops before any request: an unreachable server is never asked.
    config = _config(tmp_path)
    assert main(["--server", "http://127.0.0.1:9/rest/", "--plot", str(config)]) == 2
    assert INSTALL in capsys.readouterr().err


def test_help_documents_plot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--plot" in text
    assert "<cdf stem>.png beside each saved CDF" in text
    assert "every positional argument must then end in .cdf" in text
    assert INSTALL in text


def test_importing_the_package_loads_no_science_library() -> None:
    code = (
        "import sys, uws_call_expres as u; u.read_cdf; u.quicklook; u.ExpresRun; "
        "import uws_call_expres.cli; "
        "print(sorted(m for m in ('cdflib', 'xarray', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert result.stdout.strip() == "[]"


def test_demo_plot_draws_a_real_dynamic_spectrum_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The offline demo: the bundled real example on the embedded server, which writes a real
    # ExPRES-shaped CDF (cdflib present); --plot draws it. No network, no account.
    out = tmp_path / "demo"
    code = main(["--demo", "--plot", "-o", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (cdf,) = out.glob("*.cdf")
    dataset = read_cdf(cdf)  # a real CDF, not generated bytes
    assert dataset.Theta.dims == ("frequency", "time", "source")
    assert list(dataset.source.values) == ["Io NORTH", "Io SOUTH"]  # the example's source
    _check_picture(cdf.with_suffix(".png"), 1000, 570)
    assert f"Quick-look: {cdf.with_suffix('.png')}" in captured.out + captured.err

"""check_config (uws_call_expres.checks): the relaxed schema, unknown keys, cross-field rules,
the ephemeris, the size estimate, and how a run uses the check (warnings, strict)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List

import pytest
import responses

from uws_call_expres import Problem, check_config, uws_call_expres
from uws_call_expres.checks import estimate_cdf_size
from uws_call_expres.checks_schema import relaxed_schema
from uws_call_expres.errors import ConfigError

DATA = Path(__file__).parent / "data"
EXAMPLE: Dict[str, Any] = json.loads(
    (DATA / "expres_earth_jupiter_io_vipal_lossc-wid1deg_3kev_20150430_v01.json").read_text()
)


def _config(change: Callable[[Dict[str, Any]], Any]) -> Dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    change(document)
    return document


def _at(problems: List[Problem], path: str) -> Problem:
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, problems
    return found[0]


def _errors(problems: List[Problem]) -> List[Problem]:
    return [p for p in problems if p.severity == "error"]


# -- the real example and the bundled schema -------------------------------------------


def test_the_real_example_checks_clean(kit: SimpleNamespace) -> None:
    # Decision: the ExPRES example has no problem at all, not even a warning (its MAX 1440,
    # PHASE "auto" and Miriade look-ups are what ExPRES runs routinely).
    assert check_config(kit.DATA / kit.CONFIG) == []
    assert check_config(str(kit.DATA / kit.CONFIG)) == []
    assert check_config(EXAMPLE) == []


def test_bundled_schema_is_the_upstream_file_unchanged() -> None:
    import hashlib

    from uws_call_expres import checks_schema

    shipped = Path(checks_schema.__file__).parent / "data" / "expres-v1.0.3.schema.json"
    # sha256 of maserlib/ExPRES schema/expres-v1.0.3.json @ 4f66080 (the relaxing is in code)
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == (
        "f67f1a16dca9ce5b9ab440c98757420342d76ce97c6bd4d0c60332cd570501e7"
    )


def test_the_relaxed_copy_leaves_the_original_strict() -> None:
    from jsonschema import Draft7Validator

    from uws_call_expres.checks_schema import _bundled_schema

    document = _config(lambda d: d["OBSERVER"].update(SCTIME="20150430000000"))
    assert list(Draft7Validator(_bundled_schema()).iter_errors(document))  # 14 digits: no
    assert not list(Draft7Validator(relaxed_schema()).iter_errors(document))
    assert "additionalProperties" not in _bundled_schema()


# -- messages with paths and hints -----------------------------------------------------


def test_docs_misspelling_pre_defined_gets_path_and_hint() -> None:
    problems = check_config(_config(lambda d: d["OBSERVER"].update(TYPE="Pre-defined")))
    problem = _at(problems, "OBSERVER.TYPE")
    assert problem.severity == "error"
    assert "'Pre-defined'" in problem.message
    assert problem.hint == "did you mean 'Pre-Defined'?"
    assert str(problem) == (
        "OBSERVER.TYPE: error: 'Pre-defined' is not one of 'Pre-Defined', 'Orbiter', 'Fixed' "
        "(did you mean 'Pre-Defined'?)"
    )


def test_string_where_a_number_belongs() -> None:
    problems = check_config(_config(lambda d: d["SOURCE"][0].update(ACCEL="3")))
    problem = _at(problems, "SOURCE[0].ACCEL")
    assert problem.severity == "error"
    assert "must be a number" in problem.message
    assert problem.hint == "write the number without quotes: 3"
    assert [p.path for p in problems] == ["SOURCE[0].ACCEL"]  # nothing else in the example


def test_typo_key_thetta_reported_with_hint() -> None:
    def typo(d: Dict[str, Any]) -> None:
        cdf = d["SPDYN"]["CDF"]
        cdf["THETTA"] = cdf.pop("THETA")

    problems = check_config(_config(typo))
    unknown = _at(problems, "SPDYN.CDF.THETTA")
    assert unknown.severity == "warning"
    assert unknown.hint == "did you mean 'THETA'?"
    missing = _at(problems, "SPDYN.CDF.THETA")
    assert missing.severity == "error"
    assert missing.message == "required key is missing"
    assert missing.hint == "the config has 'THETTA'"


def test_documented_extra_keys_are_known() -> None:
    def extras(d: Dict[str, Any]) -> None:
        d["SIMU"]["DOI"] = "expres-io-2015"
        d["SPDYN"]["CDF"]["SRCVIS"] = True
        d["SOURCE"][0].update(MODE="lo", LAG_MODEL="bonfond2017")
        d["BODY"][0].update(MAG="auto", MAG_FOLDER="jrm33")

    assert check_config(_config(extras)) == []


def test_doi_key_and_value() -> None:
    problems = check_config(_config(lambda d: d["SIMU"].update(doi="x")))
    assert _at(problems, "SIMU.doi").hint == "did you mean 'DOI'?"
    slash = check_config(_config(lambda d: d["SIMU"].update(DOI="10.25935/x")))
    assert "sub-directory" in _at(slash, "SIMU.DOI").message


def test_unknown_top_level_key_and_strange_key_paths() -> None:
    problems = check_config(_config(lambda d: d.update({"_test": {}, "a b": 1})))
    assert _at(problems, "_test").severity == "warning"
    assert _at(problems, '["a b"]').message == "unknown key: ExPRES does not read it"


def test_integer_and_list_length_messages() -> None:
    def bad(d: Dict[str, Any]) -> None:
        d["NUMBER"]["BODY"] = 2.5
        d["SPDYN"]["FREQ"] = [True, False]

    problems = check_config(_config(bad))
    assert _at(problems, "NUMBER.BODY").message == (
        "must be a whole number (integer), not the number 2.5"
    )
    assert _at(problems, "SPDYN.FREQ").message == "must have exactly 5 items, has 2"


def test_any_of_message_lists_the_choices() -> None:
    problems = check_config(_config(lambda d: d["SOURCE"][1].update(LG_MIN="Auto")))
    problem = _at(problems, "SOURCE[1].LG_MIN")
    assert problem.message.startswith("must be 'auto' or 'auto+3' or 'auto-3' or a number")
    assert problem.hint == "did you mean 'auto'?"
    sctime = _at(
        check_config(_config(lambda d: d["OBSERVER"].update(SCTIME="2015"))), "OBSERVER.SCTIME"
    )
    assert sctime.hint == "YYYYMMDDhhmm or YYYYMMDDhhmmss"


# -- relaxations: what current ExPRES accepts passes without error ----------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["OBSERVER"].update(SCTIME="20150430000000"),  # 14 digits
        lambda d: d["BODY"][0].update(MAG="JRM33"),
        lambda d: d["FREQUENCY"].update(TYPE="Pre-Defined", SC=[0.1, 0.5, 1.0]),
        lambda d: d.update(SIMU={}),  # NAME and OUT optional since 1.1.0
        lambda d: d["TIME"].update(MIN=0.5, MAX=1439.5),  # read as floats
        lambda d: d["SOURCE"][0].update(LAT=5.9, SUB=0.5),
        lambda d: d["SOURCE"][0].update(LG_MIN="auto+3", LG_MAX="auto-3"),
        lambda d: d["SOURCE"][0].update(REFRACTION=True),
        lambda d: d["SOURCE"][0].update(CURRENT="Constant", TYPE="M-shell"),
        lambda d: d["BODY"][0]["DENS"][0].update(TYPE="Disk"),
        lambda d: d["SPDYN"]["CDF"].pop("SRCPOS"),  # only a warning (ExPRES too)
    ],
)
def test_relaxations_pass_without_error(change: Callable[[Dict[str, Any]], Any]) -> None:
    assert _errors(check_config(_config(change))) == []


def test_observer_parent_may_be_any_defined_body() -> None:
    assert check_config(_config(lambda d: d["OBSERVER"].update(PARENT="Io"))) == []


def test_values_outside_the_codes_set_are_warnings_with_hints() -> None:
    def odd(d: Dict[str, Any]) -> None:
        d["SOURCE"][0]["CURRENT"] = "constant"
        d["SOURCE"][1]["TYPE"] = "atached to a satellite"
        d["BODY"][1]["MAG"] = "JRM09 + Connerney CS"

    problems = check_config(_config(odd))
    assert all(p.severity == "warning" for p in problems), problems
    assert _at(problems, "SOURCE[0].CURRENT").hint == "did you mean 'Constant'?"
    assert "falls back to M-shell" in _at(problems, "SOURCE[1].TYPE").message
    assert _at(problems, "BODY[1].MAG").hint == "did you mean 'JRM09+Connerney CS'?"


# -- cross-field rules ----------------------------------------------------------------


def test_parent_naming_an_undefined_body() -> None:
    problems = check_config(_config(lambda d: d["SOURCE"][1].update(PARENT="Jupyter")))
    problem = _at(problems, "SOURCE[1].PARENT")
    assert problem.severity == "error"
    assert "'Jupyter' is not a BODY name (defined: 'Jupiter', 'Io')" in problem.message
    assert problem.hint == "did you mean 'Jupiter'?"
    observer = check_config(_config(lambda d: d["OBSERVER"].update(PARENT="Saturn")))
    assert "An observer has no parent." in _at(observer, "OBSERVER.PARENT").message
    sat = check_config(_config(lambda d: d["SOURCE"][0].update(SAT="Europa")))
    assert _at(sat, "SOURCE[0].SAT").severity == "error"


def test_number_counts_match_the_arrays() -> None:
    def counts(d: Dict[str, Any]) -> None:
        d["NUMBER"].update(BODY=3, SOURCE=1)
        d["BODY"][1]["DENS"].pop()

    problems = check_config(_config(counts))
    assert "BODY has 2 entries" in _at(problems, "NUMBER.BODY").message
    assert _at(problems, "NUMBER.SOURCE").hint == "set NUMBER.SOURCE to 2"
    assert "NUMBER.DENSITY is 2" in _at(problems, "BODY[1].DENS").message
    assert len(_errors(problems)) == 3


def test_bodies_central_and_unique() -> None:
    problems = check_config(_config(lambda d: d["BODY"][1].update(NAME="Jupiter", PARENT="")))
    assert "also BODY[0]'s name" in _at(problems, "BODY[1].NAME").message
    assert _at(problems, "BODY[0].PARENT").severity == "warning"  # two central bodies
    none = check_config(_config(lambda d: d["BODY"][0].update(PARENT="Io")))
    assert "no central body" in _at(none, "BODY").message


def test_axes() -> None:
    log = check_config(_config(lambda d: d["FREQUENCY"].update(TYPE="Log", MIN=0)))
    assert _at(log, "FREQUENCY.MIN").message == "must be above 0 for a Log axis"
    predefined = check_config(_config(lambda d: d["FREQUENCY"].update(TYPE="Pre-Defined")))
    assert _at(predefined, "FREQUENCY.SC").severity == "error"
    one_step = check_config(_config(lambda d: d["TIME"].update(NBR=1)))
    assert "at least 2" in _at(one_step, "TIME.NBR").message


def test_observer_look_ups() -> None:
    juice = check_config(_config(lambda d: d["OBSERVER"].update(TYPE="Pre-Defined", SC="JUICE")))
    assert "Miriade" in _at(juice, "OBSERVER.SC").message
    assert "FILE_EPHEM" in (_at(juice, "OBSERVER.SC").hint or "")
    juno = check_config(_config(lambda d: d["OBSERVER"].update(TYPE="Pre-Defined", SC="Juno")))
    assert "2016-01-01 to 2028-09-30" in _at(juno, "OBSERVER.SCTIME").message  # 2015
    other = check_config(_config(lambda d: d["OBSERVER"].update(SC="Clipper")))
    assert _at(other, "OBSERVER.SC").severity == "error"  # FIXE_DIST auto: a Miriade look-up
    fixed = check_config(
        _config(lambda d: d["OBSERVER"].update(SC="Clipper", FIXE_DIST=5.9, FIXE_SUBL=0))
    )
    assert _at(fixed, "OBSERVER.SC").severity == "warning"  # numbers: no look-up


def test_fixed_observer_without_cml_and_both_hemispheres() -> None:
    def change(d: Dict[str, Any]) -> None:
        d["SPDYN"]["CDF"]["CML"] = False
        d["SOURCE"][0]["SOUTH"] = True

    problems = check_config(_config(change))
    assert "Fixed observer" in _at(problems, "SPDYN.CDF.CML").message
    assert "exclusive" in _at(problems, "SOURCE[0]").message


def test_unit_pitfalls() -> None:
    def mixed(d: Dict[str, Any]) -> None:
        d["BODY"][1]["RADIUS"] = 1821.6  # Io's radius in km, while Jupiter's RADIUS is 1
        d["SOURCE"][0]["AURORA_ALT"] = 650  # km
        d["MOVIE3D"]["XRANGE"] = [-1_300_000, 1_300_000]

    problems = check_config(_config(mixed))
    assert "looks like km" in _at(problems, "BODY[1].RADIUS").message
    assert "planetary radii" in _at(problems, "SOURCE[0].AURORA_ALT").message
    assert "NOT km" in _at(problems, "MOVIE3D.XRANGE").message
    phase = check_config(_config(lambda d: d["BODY"][1].update(PARENT="Io", PHASE="auto")))
    assert _at(phase, "BODY[1].PHASE").severity == "error"  # "auto" around Io in radii


# -- the ephemeris ---------------------------------------------------------------------


def test_ephemeris_mismatch(kit: SimpleNamespace, tmp_path: Path) -> None:
    ephem = tmp_path / "juice_2031.txt"
    ephem.write_bytes((kit.DATA / kit.EPHEM).read_bytes())
    named = _config(lambda d: d["OBSERVER"].update(EPHEM="juice.txt"))
    problem = _at(check_config(named, ephemeris=ephem), "OBSERVER.EPHEM")
    assert problem.severity == "warning"
    assert "'juice.txt'" in problem.message
    assert "'juice_2031.txt'" in problem.message
    assert (
        check_config(_config(lambda d: d["OBSERVER"].update(EPHEM=ephem.name)), ephemeris=ephem)
        == []
    )
    unused = _at(check_config(EXAMPLE, ephemeris=ephem), "OBSERVER.EPHEM")
    assert "OBSERVER.EPHEM is empty" in unused.message
    missing = check_config(named)
    assert _at(missing, "OBSERVER.EPHEM").hint == "pass it with FILE_EPHEM (--ephem)"
    gone = check_config(named, ephemeris=tmp_path / "gone.txt")
    (error,) = _errors(gone)
    assert "cannot be read" in error.message


def test_ephemeris_given_as_a_path_in_the_config(kit: SimpleNamespace) -> None:
    named = _config(lambda d: d["OBSERVER"].update(EPHEM=f"ephem/{kit.EPHEM}"))
    problem = _at(check_config(named, ephemeris=kit.DATA / kit.EPHEM), "OBSERVER.EPHEM")
    assert "basename" in (problem.hint or "")


# -- size and run time ----------------------------------------------------------------


def test_cdf_size_model_matches_the_reference_figure() -> None:
    # reference notes §6: the example's layout measured 29,340,304 bytes (cdflib replica)
    size = estimate_cdf_size(EXAMPLE)
    assert size is not None
    assert abs(size - 29_340_304) < 0.001 * 29_340_304

    def everything(d: Dict[str, Any]) -> None:
        d["SPDYN"]["CDF"] = {k: True for k in d["SPDYN"]["CDF"]} | {"SRCVIS": True}

    full = estimate_cdf_size(_config(everything))
    assert full is not None
    assert abs(full - 69_845_392) < 0.001 * 69_845_392


def test_large_guest_run_warns_but_not_authenticated() -> None:
    big = _config(lambda d: d["TIME"].update(NBR=14_400, MAX=14_400))
    guest = check_config(big)
    assert [p.severity for p in guest] == ["warning", "warning"]
    assert "600 s limit" in guest[0].message
    assert "very large output: about 293 MB" in guest[1].message
    assert check_config(big, authenticated=True) == []
    movie = check_config(_config(lambda d: d["MOVIE2D"].update(ON=True)))
    assert _at(movie, "MOVIE2D.ON").severity == "warning"


# -- bad content never raises ----------------------------------------------------------


def test_deep_nesting_gives_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' * 200_000 + "1" + "}" * 200_000)
    (problem,) = check_config(path)
    assert problem.severity == "error"
    assert "nested too deeply" in problem.message
    node: Dict[str, Any] = {}
    document = node
    for _ in range(50_000):
        node["a"] = {}
        node = node["a"]
    (problem,) = check_config(document)
    assert "nested more than 16 levels" in problem.message


@pytest.mark.parametrize(
    ("text", "said"),
    [("{", "not valid JSON"), ("[1, 2]", "not an object"), ("", "not valid JSON")],
)
def test_bad_files_give_one_problem(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(text)
    (problem,) = check_config(path)
    assert problem.path == ""
    assert said in problem.message
    assert str(problem).startswith("(root): error: ")


def test_missing_file_and_not_a_config(tmp_path: Path) -> None:
    (problem,) = check_config(tmp_path / "nope.json")
    assert "No such file" in problem.message
    (problem,) = check_config(42)  # type: ignore[arg-type]
    assert "not a config path or a dict" in problem.message


def test_missing_sections_are_one_problem() -> None:
    (problem,) = check_config({"SIMU": {"NAME": "x"}, "TIME": {}})
    assert problem.message.startswith("has no NUMBER, FREQUENCY, OBSERVER, SPDYN, MOVIE2D")


# -- a run checks its config first ------------------------------------------------------


def _bad_config(workdir: Path) -> Path:
    path = workdir / "bad_type.json"
    path.write_text(json.dumps(_config(lambda d: d["OBSERVER"].update(TYPE="Pre-defined"))))
    return path


def test_default_run_with_errors_submits_and_prints_them(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uws_call_expres(str(_bad_config(workdir)))
    assert run.job_id in opus.jobs  # sent anyway
    (warning,) = run.warnings
    assert warning.startswith("bad_type.json: OBSERVER.TYPE: error: 'Pre-defined'")
    assert "did you mean 'Pre-Defined'?" in warning
    assert "sent anyway" in warning
    assert f"Warning: {warning}" in capsys.readouterr().err


def test_strict_raises_before_any_request(workdir: Path, rsps: responses.RequestsMock) -> None:
    with pytest.raises(ConfigError, match=r"bad_type\.json has 1 error.*OBSERVER\.TYPE") as info:
        uws_call_expres(str(_bad_config(workdir)), strict=True)
    assert "did you mean 'Pre-Defined'?" in str(info.value)
    assert len(rsps.calls) == 0


def test_strict_accepts_warnings(workdir: Path, opus: Any, kit: SimpleNamespace) -> None:
    run = uws_call_expres(kit.CONFIG_A, strict=True, verbose=False)  # '@wgc': a warning
    assert run.job_id in opus.jobs
    assert len(run.warnings) == 1


def test_sweep_checks_every_config(workdir: Path, rsps: responses.RequestsMock) -> None:
    from uws_call_expres import run_sweep

    with pytest.raises(ConfigError, match=r"bad_type\.json"):
        run_sweep(["example.json", str(_bad_config(workdir))], strict=True, verbose=False)
    assert len(rsps.calls) == 0


def test_sweep_prints_each_configs_problems(
    workdir: Path, opus: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from uws_call_expres import run_sweep

    items = run_sweep(["example.json", str(_bad_config(workdir))], LOOP=False)
    assert all(item.run is not None for item in items)
    assert capsys.readouterr().err.count("OBSERVER.TYPE: error:") == 1


def test_run_shows_at_most_ten_problems(workdir: Path, opus: Any) -> None:
    from uws_lite.testing.__main__ import EXAMPLE_CONFIG  # a stub with many missing keys

    path = workdir / "stub.json"
    path.write_text(json.dumps(EXAMPLE_CONFIG))
    run = uws_call_expres(str(path), verbose=False)
    assert run.job_id in opus.jobs
    assert len(run.warnings) == 11
    assert "more problem(s): see `python -m uws_call_expres --check stub.json`" in run.warnings[-1]


def test_infos_sav_counts_in_the_output_size() -> None:
    # the .sav holds 8 x S x T x F bytes: 8 x 2 x 14,400 x 781 = 180 MB on top of the CDF
    def big(d: Dict[str, Any]) -> None:
        d["TIME"].update(NBR=14_400, MAX=14_400)
        d["SPDYN"]["INFOS"] = True

    (size,) = [p for p in check_config(_config(big)) if "output" in p.message]
    assert size.message.startswith("a very large output: about 473 MB")


def test_upper_case_csv_extension_is_read_as_iowa_text(tmp_path: Path) -> None:
    ephem = tmp_path / "juice.CSV"
    ephem.write_text("header\n1,2,3\n")
    config = _config(lambda d: d["OBSERVER"].update(EPHEM="juice.CSV"))
    problem = _at(check_config(config, ephemeris=ephem), "OBSERVER.EPHEM")
    assert "lower-case .csv" in problem.message

"""A run's settings as one value (RunOptions), the documented signatures that build it, and the
hints that quote the parser's own option names."""

from __future__ import annotations

import dataclasses
import inspect
import shlex
from pathlib import Path
from typing import Any, Dict, List

import pytest
import responses

from uws_call_expres import attach, run_grid, run_sweep, uws_call_expres
from uws_call_expres.access import Access, resolve_access
from uws_call_expres.cli import main
from uws_call_expres.cli.parser import build_parser
from uws_call_expres.errors import AccessError, ConfigError
from uws_call_expres.flags import Flag
from uws_call_expres.following import FollowContext
from uws_call_expres.options import KEYWORDS, RunOptions, prepare
from uws_call_expres.words import CLI, FIELDS, command_line, delete_command, list_command

ACCESS = Access(
    "http://127.0.0.1:1/rest/", "ExPRES-dev", "develop", "jdoe", "s3cr3t", "TOKEN argument"
)
ROUTING = {"job_list": "ExPRES-dev", "login": "jdoe", "server": "http://127.0.0.1:1/rest/"}


# -- the documented signatures stay as they are ---------------------------------------------


@pytest.mark.parametrize(
    ("function", "names"),
    [
        (
            uws_call_expres,
            "FILE FILE_EPHEM Job_List runID LOOP branch LOGIN executionDuration TOKEN server "
            "output_dir timeout verbose overwrite progress strict request_timeout",
        ),
        (
            attach,
            "job_id Job_List LOGIN TOKEN server output_dir timeout verbose overwrite progress "
            "request_timeout",
        ),
        (
            run_sweep,
            "configs FILE_EPHEM Job_List runID LOOP branch LOGIN executionDuration TOKEN server "
            "output_dir timeout verbose overwrite max_parallel to_stderr on_done strict words "
            "request_timeout",
        ),
        (
            run_grid,
            "base axes output_dir FILE_EPHEM Job_List LOOP branch LOGIN executionDuration TOKEN "
            "server timeout verbose overwrite max_parallel progress retry_failed strict "
            "request_timeout to_stderr words on_point",
        ),
    ],
)
def test_public_signatures_are_the_documented_ones(function: Any, names: str) -> None:
    assert list(inspect.signature(function).parameters) == names.split()


def test_the_recipes_positional_order_is_kept() -> None:
    parameters = list(inspect.signature(uws_call_expres).parameters.values())
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == [
        "FILE",
        "FILE_EPHEM",
        "Job_List",
        "runID",
        "LOOP",
        "branch",
        "LOGIN",
        "executionDuration",
    ]


# Parameters of the public functions that are not a run's settings.
NOT_SETTINGS = {
    "FILE",
    "job_id",
    "configs",
    "base",
    "axes",
    "verbose",
    "progress",
    "max_parallel",
    "to_stderr",
    "on_done",
    "retry_failed",
    "on_point",
}


@pytest.mark.parametrize("function", [uws_call_expres, attach, run_sweep, run_grid])
def test_every_setting_of_a_public_function_reaches_the_options(function: Any) -> None:
    names = set(inspect.signature(function).parameters)
    assert names - NOT_SETTINGS <= set(KEYWORDS)
    assert set(KEYWORDS.values()) <= {f.name for f in dataclasses.fields(RunOptions)}


def test_options_from_the_documented_names() -> None:
    arguments = {"Job_List": "ExPRES-dev", "runID": "io", "LOOP": True, "verbose": False}
    assert RunOptions.from_arguments(arguments) == RunOptions(
        job_list="ExPRES-dev", run_id="io", loop=True
    )


# -- the one value --------------------------------------------------------------------------


def test_options_never_show_the_token() -> None:
    options = RunOptions(login="jdoe", token="s3cr3t")
    assert "s3cr3t" not in repr(options)
    assert "jdoe" in repr(options)


def test_prepare_checks_the_options_for_one_config(workdir: Path, kit: Any) -> None:
    options = RunOptions(
        run_id="io", ephemeris=kit.EPHEM, output_dir="out", execution_duration="60"
    )
    plan = prepare(kit.CONFIG, options)
    assert plan.run_id == "io"
    assert plan.form == {"runId": "io", "branch": "master", "executionDuration": "60"}
    assert plan.protected == (workdir / kit.CONFIG, workdir / kit.EPHEM)
    assert plan.output_dir == workdir / "out"


def test_a_run_and_a_grid_point_protect_the_same_inputs(workdir: Path, kit: Any) -> None:
    # One builder for what following a job needs: the config AND the ephemeris are never
    # overwritten by a result, whoever follows the job.
    plan = prepare(kit.CONFIG, RunOptions(ephemeris=kit.EPHEM))
    context = FollowContext.of_run(plan, workdir)
    assert context.protected == (workdir / kit.CONFIG, workdir / kit.EPHEM)
    assert context.run_id == "test_job"
    assert context.warnings == plan.access.warnings + plan.inputs.warnings


def test_access_for_an_existing_job_ignores_the_branch() -> None:
    options = RunOptions(login="jdoe", token="tok", branch="develop")
    assert options.access().job_list == "ExPRES-dev"
    assert options.access(branch=False).job_list == "ExPRES"


@pytest.mark.parametrize("control", ["\x1b", "\x9b", "\x00"])
def test_values_sent_with_a_control_character_are_refused_locally(
    workdir: Path, kit: Any, control: str
) -> None:
    # The one control check (uws_lite.text.has_control), C1 controls such as CSI included.
    with pytest.raises(AccessError, match="control characters"):
        resolve_access(branch=f"dev{control}[31m", login="jdoe", token="tok")
    with pytest.raises(ConfigError, match="control characters"):
        prepare(kit.CONFIG, RunOptions(run_id=f"run{control}[31m"))


# -- hints quote the parser's own option names ----------------------------------------------


def _dest(flag: str) -> str:
    options = build_parser()._option_string_actions
    assert flag in options, f"{flag} is not an option of the parser"
    return options[flag].dest


def test_every_option_named_in_the_fields_table_is_the_parsers() -> None:
    parser = build_parser()
    (positional,) = [a for a in parser._actions if not a.option_strings]
    assert FIELDS["config"][1] == positional.metavar == Flag.CONFIG
    expected_dest = {"ephemeris": "ephem"}
    for key, (_python, cli) in FIELDS.items():
        flags = [word for part in cli.split() for word in part.split("/") if word[:1] == "-"]
        if key in ("config", "token"):  # the positional argument; never an option
            assert not flags
            continue
        assert flags, key
        for flag in flags:
            assert _dest(flag) == expected_dest.get(key, key), (key, flag)


def test_every_flag_is_an_option_of_the_parser_and_the_other_way_round() -> None:
    spelled = {v for k, v in vars(Flag).items() if k.isupper() and v != Flag.CONFIG}
    assert spelled == set(build_parser()._option_string_actions) - {"-h", "--help"}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (CLI.reattach("2a3490", ACCESS, Path("/data/out")), {"attach": "2a3490"}),
        (list_command(ACCESS), {"list": True}),
        (delete_command("2a3490", ACCESS), {"delete": "2a3490"}),
    ],
)
def test_hint_commands_parse_back_to_the_same_job_and_routing(
    command: str, expected: Dict[str, Any]
) -> None:
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "uws_call_expres"]
    args = build_parser().parse_args(words[3:])
    for name, value in {**expected, **ROUTING}.items():
        assert getattr(args, name) == value, name
    if "attach" in expected:
        assert args.output_dir == "/data/out"
    assert "s3cr3t" not in command


def test_renaming_an_option_renames_it_in_the_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Flag, "ATTACH", "--take-over")
    monkeypatch.setattr(Flag, "LOGIN", "--user")
    command = CLI.reattach("2a3490", ACCESS)
    assert "--attach" not in command
    assert "--login" not in command
    args = build_parser().parse_args(shlex.split(command)[3:])
    assert (args.take_over, args.user) == ("2a3490", "jdoe")


def test_command_line_quotes_each_word() -> None:
    assert command_line(Flag.CHECK, "my config.json") == (
        "python -m uws_call_expres --check 'my config.json'"
    )


# -- the command line's errors name options, also for a grid -------------------------------


def _error_line(capsys: pytest.CaptureFixture[str], argv: List[str]) -> str:
    assert main(argv) == 2
    (line,) = [
        line
        for line in capsys.readouterr().err.splitlines()
        if line.startswith("uws-call-expres: error:")
    ]
    return line


def test_grid_errors_name_the_options_not_the_python_parameters(
    workdir: Path,
    kit: Any,
    rsps: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    grid = ["--grid", kit.CONFIG, "--set", "SOURCE[0].ACCEL=1,2"]
    line = _error_line(capsys, [*grid, "--login", "jdoe"])
    assert "--login 'jdoe' was given but no token was found" in line
    assert "TOKEN=" not in line
    (workdir / "afile").write_text("x")
    line = _error_line(capsys, [*grid, "-o", "afile/sub"])
    assert "-o/--output-dir 'afile/sub'" in line
    line = _error_line(capsys, [*grid, "--ephem", "no.txt"])
    assert "--ephem file 'no.txt' does not exist" in line
    assert len(rsps.calls) == 0

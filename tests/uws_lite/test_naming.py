"""uws_lite.naming.safe_filename: server-given ids and names as one safe file name."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import List

import pytest

from uws_lite.naming import MAX_BYTES, safe_filename

_FORBIDDEN = set('/\\<>:"|?*')


def assert_safe(name: str) -> None:
    """What every answer must be, whatever the input."""
    assert name
    assert name not in (".", "..")
    assert not name.startswith((".", "-", " "))
    assert not name.endswith((".", " "))
    assert not _FORBIDDEN & set(name)
    assert all(unicodedata.category(c)[0] != "C" for c in name)
    assert len(name.encode("utf-8")) <= MAX_BYTES
    assert name.split(".", 1)[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../x", "x"),
        ("/etc/passwd", "etc_passwd"),
        ("..", "result"),
        (".", "result"),
        ("", "result"),
        ("a/b/../c", "a_b_c"),
        ("C:\\x", "C__x"),
        ("..\\..\\windows\\system32", "windows_system32"),
        ("con", "_con"),
        ("CON.txt", "_CON.txt"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("com1", "_com1"),
        ("lpt9.cdf", "_lpt9.cdf"),
        ("console.txt", "console.txt"),  # only the exact device names are reserved
        ("a\x00b.cdf", "a_b.cdf"),
        ("line\nbreak\r.txt", "line_break_.txt"),
        ("evil\u202egpj.exe", "evil_gpj.exe"),  # a bidi override cannot fake the extension
        ("zero\u200bwidth", "zero_width"),
        (".bashrc", "bashrc"),
        ("...hidden", "hidden"),
        (" . .x", "x"),
        ("name. . ", "name"),
        ("-rf", "_rf"),
        ('a|b?c*d<e>f"g', "a_b_c_d_e_f_g"),
        ("example.json", "example.json"),
        ("expres_test_run_a.cdf", "expres_test_run_a.cdf"),
        ("6b2aa7_expres_test_run_a.cdf", "6b2aa7_expres_test_run_a.cdf"),
        ("stdout", "stdout"),
        ("résultat Jupiter ♃.cdf", "résultat Jupiter ♃.cdf"),
        ("non\u00a0breaking", "non breaking"),
    ],
)
def test_hostile_and_ordinary_names(given: str, expected: str) -> None:
    got = safe_filename(given)
    assert got == expected
    assert_safe(got)


def test_decomposed_unicode_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "résultat.cdf")
    assert decomposed != "résultat.cdf"
    assert safe_filename(decomposed) == "résultat.cdf"


def test_fallback_is_used_and_made_safe() -> None:
    assert safe_filename("../", fallback="stdout") == "stdout"
    assert safe_filename("", fallback="../../x") == "x"
    assert safe_filename("", fallback="..") == "result"


@pytest.mark.parametrize(
    "given",
    [
        "x" * 1000 + ".cdf",
        "é" * 500 + ".cdf",
        "♃" * 300 + ".fits.gz",
        "a" * 300,
        "y" * 250 + "." + "z" * 40,
    ],
)
def test_long_names_are_bounded_and_keep_the_extension(given: str) -> None:
    got = safe_filename(given)
    assert_safe(got)
    for ext in (".fits.gz", ".cdf"):
        if given.endswith(ext):
            assert got.endswith(ext)
    # the .part file next to it still fits the usual 255-byte limit
    assert len(f".{got}.part".encode()) <= 255


def test_long_names_sharing_a_prefix_stay_distinct() -> None:
    a = safe_filename("p" * 400 + "a.cdf")
    b = safe_filename("p" * 400 + "b.cdf")
    assert a != b


def test_duplicates_are_numbered_case_insensitively() -> None:
    taken: List[str] = []
    for given in ["x.cdf", "X.CDF", "x.cdf", "x-1.cdf"]:
        name = safe_filename(given, taken)
        taken.append(name)
    assert taken == ["x.cdf", "X-1.CDF", "x-2.cdf", "x-1-1.cdf"]


def test_duplicates_keep_compound_extensions() -> None:
    assert safe_filename("data.fits.gz", ["data.fits.gz"]) == "data-1.fits.gz"
    assert safe_filename("stdout", {"STDOUT"}) == "stdout-1"


def test_duplicates_compare_composed_forms() -> None:
    taken = [unicodedata.normalize("NFD", "Résultat.cdf")]
    assert safe_filename("résultat.cdf", taken) == "résultat-1.cdf"


def test_duplicates_of_long_names_stay_bounded() -> None:
    first = safe_filename("q" * 400 + ".cdf")
    second = safe_filename("q" * 400 + ".cdf", [first])
    assert second != first
    assert_safe(second)
    assert second.endswith("-1.cdf")


def test_taken_is_not_modified() -> None:
    taken = ["x"]
    safe_filename("x", taken)
    assert taken == ["x"]


@pytest.mark.parametrize(
    "given", ["../x", "/etc/passwd", "..", "a/b/../c", "C:\\x", "con", "a\x00b", "\u202e", "-"]
)
def test_the_name_stays_inside_the_directory(given: str, tmp_path: Path) -> None:
    path = tmp_path / safe_filename(given)
    path.write_bytes(b"")
    assert path.parent == tmp_path
    assert os.listdir(tmp_path) == [path.name]

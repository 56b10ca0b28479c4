"""One row per figure, and the markdown table they make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

HEADER = ("figure", "uws_lite / package", "compared with", "ratio", "goal", "met", "facts")


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    ``met`` is None when the figure could not be measured (``facts`` says why), or for an
    ``info`` row that has no goal.
    ``facts`` holds the measured facts that explain the verdict, always for a missed goal.
    """

    figure: str
    measured: str
    reference: str
    ratio: str
    goal: str
    met: Optional[bool]
    facts: str = ""
    info: bool = False  # a figure with no goal, shown for the record

    @property
    def unmeasured(self) -> bool:
        return self.met is None and not self.info

    @property
    def verdict(self) -> str:
        if self.info:
            return "(info)"
        if self.met is None:
            return "not measured"
        return "yes" if self.met else "**no**"


def _cell(text: str) -> str:
    # A pipe would split the cell; new lines would end the row.
    return text.replace("|", "\\|").replace("\n", " ").strip() or "–"


def render(rows: Iterable[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in rows:
        cells = (
            row.figure,
            row.measured,
            row.reference,
            row.ratio,
            row.goal,
            row.verdict,
            row.facts,
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _tail(message: str, limit: int = 300) -> str:
    """The informative end of an error message (a child's traceback ends with the cause)."""
    text = " ".join(message.split())
    return text if len(text) <= limit else "…" + text[-limit:]


def failed(figure: str, goal: str, error: BaseException) -> Row:
    """The row of a figure whose measurement itself broke (the run goes on)."""
    return Row(
        figure=figure,
        measured="n/a",
        reference="n/a",
        ratio="n/a",
        goal=goal,
        met=None,
        facts=f"measurement failed: {type(error).__name__}: {_tail(str(error))}",
    )

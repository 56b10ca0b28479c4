"""Paired comparisons, fair by construction: the two sides alternate which runs first.

A shared, noisy machine changes speed over minutes, and a run can change the next one's
conditions (page cache, memory handed back to the hypervisor, CPU caches). So every
comparison here is made of pairs whose order alternates, A B then B A, and the summary
gives the median of the per-pair ratios overall *and for each order*: a gap between the two
order medians shows that the order, not the code, decides the result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, List, Tuple, TypeVar

from .stats import Samples, ratio

T = TypeVar("T")

# Seconds of idleness before each timed run of a download pair. On this kind of virtual
# machine (virtio-balloon free page reporting), memory freed by the previous run (its 1 GiB
# file, deleted) is handed back to the host about 2 s later; until then a new writer gets
# pages that are still backed and writes into the page cache up to 10x faster. Waiting
# 3 s puts every run, whichever ran before it, in the same state (see bench/README.md).
SETTLE_SECONDS = 3.0


def settle(seconds: float) -> None:
    """Let the machine return to the same state before a timed run (see SETTLE_SECONDS)."""
    if seconds > 0:
        time.sleep(seconds)


@dataclass(frozen=True)
class Pair:
    """One pair of runs: ``a`` and ``b`` are what each side measured; ``a_first`` whether
    side A ran first."""

    a_first: bool
    a: float
    b: float


def rotated(
    n_pairs: int,
    run_a: Callable[[], T],
    run_b: Callable[[], T],
    value: Callable[[T], float],
    *,
    before_each: Callable[[], None] = lambda: None,
    after_pair: Callable[[int], None] = lambda k: None,
) -> Tuple[List[Pair], List[T], List[T]]:
    """Run ``n_pairs`` pairs, A first in the even ones and B first in the odd ones.

    ``before_each`` runs before every single run (e.g. :func:`settle`); ``after_pair(k)``
    after pair ``k`` (other runs interleaved with the pairs). Returns the pairs (``value``
    of each run) and every run's full output per side, in run order."""
    pairs: List[Pair] = []
    outs_a: List[T] = []
    outs_b: List[T] = []
    for k in range(n_pairs):
        a_first = k % 2 == 0
        done = {}
        for side in ("a", "b") if a_first else ("b", "a"):
            before_each()
            done[side] = run_a() if side == "a" else run_b()
        outs_a.append(done["a"])
        outs_b.append(done["b"])
        pairs.append(Pair(a_first, value(done["a"]), value(done["b"])))
        after_pair(k)
    return pairs, outs_a, outs_b


@dataclass(frozen=True)
class PairSummary:
    """The per-pair ratios A / B: all, when A ran first, when B ran first."""

    overall: Samples
    a_first: Samples
    b_first: Samples

    @classmethod
    def of(cls, pairs: List[Pair]) -> PairSummary:
        def ratios(keep: Callable[[Pair], bool]) -> Samples:
            return Samples.of(p.a / p.b for p in pairs if keep(p) and p.b)

        return cls(
            overall=ratios(lambda p: True),
            a_first=ratios(lambda p: p.a_first),
            b_first=ratios(lambda p: not p.a_first),
        )

    def worst(self) -> float:
        """The lower of the two order medians (a goal must hold whichever runs first)."""
        medians = [s.median for s in (self.a_first, self.b_first) if s]
        return min(medians) if medians else float("nan")

    def describe(self, a: str, b: str) -> str:
        """'paired ratios: median …; A first …; B first …' with min–max and counts."""
        return (
            f"per-pair ratios {self.overall.fmt(ratio)}; {a} first:"
            f" {self.a_first.fmt(ratio)}; {b} first: {self.b_first.fmt(ratio)}"
        )

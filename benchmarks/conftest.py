"""Shared benchmark helpers: a ratio table printed at the end of a run.

A benchmark that sets ``benchmark.extra_info["baseline"] = True`` is the reference of its group;
every other benchmark of the group gets ``min time / baseline min time`` (so ``20x`` means the
peer took 20 times as long as custloyalty). Peak memory is printed when a benchmark recorded
``extra_info["peak_bytes"]``. Groups without a baseline are left out.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def _fmt_time(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    session = getattr(terminalreporter.config, "_benchmarksession", None)
    benches = [b for b in getattr(session, "benchmarks", []) if getattr(b, "stats", None)]
    groups: dict[str, list[Any]] = defaultdict(list)
    for b in benches:
        groups[b.group or ""].append(b)
    lines: list[str] = []
    for group, items in sorted(groups.items()):
        base = [b for b in items if b.extra_info.get("baseline")]
        if not base:
            continue
        t0 = base[0].stats.min
        lines.append(f"{group}")
        lines.append(
            f"  {'tool':<26} {'min':>10} {'vs base':>9} {'rounds':>6} {'peak':>10} {'x in':>6}"
        )
        for b in sorted(items, key=lambda b: b.stats.min):
            peak = b.extra_info.get("peak_bytes")
            ratio = b.extra_info.get("peak_ratio")
            lines.append(
                f"  {b.extra_info.get('tool', b.name):<26} {_fmt_time(b.stats.min):>10} "
                f"{b.stats.min / t0:>8.1f}x {b.stats.rounds:>6} "
                f"{'' if peak is None else f'{peak / 2**20:.0f} MiB':>10} "
                f"{'' if ratio is None else f'{ratio:.2f}':>6}"
            )
    if lines:
        terminalreporter.write_sep("-", "ratios vs baseline (min time; peak = tracemalloc)")
        for line in lines:
            terminalreporter.write_line(line)

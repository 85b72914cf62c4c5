"""Progress reporting for long work, silent unless asked for.

Library calls are silent by default; ``progress=True`` (or the CLI) shows a bar through tqdm,
imported only when a bar is shown. ``progress`` must be ``True`` or ``False``: a number or a
string (``progress="no"``, truthy) is refused with a :class:`~custloyalty.errors.ValidationError`
naming the function (``desc``). Code reports steps through :func:`steps`::

    with steps(["summary", "indicators", "weights"], enabled=progress, desc="fit_score") as step:
        step("summary")
        ...
        step("indicators")
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from custloyalty._validation import check_flag

__all__ = ["counter", "steps"]


def check_enabled(enabled: Any, desc: str) -> bool:
    """Return ``enabled`` as a bool; refuse anything but ``True`` / ``False`` (numpy's too).

    >>> check_enabled(True, "fit_score")
    True
    >>> check_enabled("no", "fit_score")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    custloyalty.errors.ValidationError: The 'progress' parameter of fit_score must be True or ...
    """
    return check_flag(enabled, "progress", func=desc.split()[0] if desc.strip() else "it")


def _noop(label: str) -> None:
    """Ignore a step (progress disabled)."""


@contextmanager
def steps(
    labels: Sequence[str], *, enabled: bool = False, desc: str = ""
) -> Iterator[Callable[[str], None]]:
    """Yield a callable that advances a progress bar by one named step.

    With ``enabled=False`` (the default in library calls) nothing is imported or printed.
    The bar writes to standard error, so piped standard output stays clean. ``enabled`` other
    than ``True`` / ``False`` raises :class:`~custloyalty.errors.ValidationError`.
    """
    if not check_enabled(enabled, desc):
        yield _noop
        return
    from tqdm.auto import tqdm

    bar: Any = tqdm(total=len(labels), desc=desc or None, file=sys.stderr, leave=False)
    started = False

    def advance(label: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_postfix_str(label)

    try:
        yield advance
        if started:
            bar.update(1)
    finally:
        bar.close()


@contextmanager
def counter(
    total: int, *, enabled: bool = False, desc: str = ""
) -> Iterator[Callable[[int], None]]:
    """Yield a callable that advances a progress bar by ``k`` units (bootstrap resamples...).

    Silent and import-free with ``enabled=False``, like :func:`steps`.
    """
    if not check_enabled(enabled, desc):
        yield _noop_count
        return
    from tqdm.auto import tqdm

    bar: Any = tqdm(total=int(total), desc=desc or None, file=sys.stderr, leave=False)
    try:
        yield bar.update
    finally:
        bar.close()


def _noop_count(k: int) -> None:
    """Ignore an advance (progress disabled)."""

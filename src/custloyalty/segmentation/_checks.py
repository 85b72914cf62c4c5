"""Small checks shared by the segmentation modules (after the table boundary)."""

from __future__ import annotations

import pandas as pd

from custloyalty.errors import ValidationError

__all__ = ["check_unique_index"]


def check_unique_index(index: pd.Index, name: str, *, func: str, hint: str = "") -> None:
    """Raise :class:`ValidationError` if a customer appears more than once in ``index``.

    The message counts the rows sharing an id, shows up to five of the ids and ends with
    ``hint`` (a ``Hint:`` line) when one is given.
    """
    if index.is_unique:
        return
    dup = index.duplicated(keep=False)
    ids = pd.unique(index[dup])
    shown = ", ".join(repr(v) for v in ids[:5])
    noun = "id" if len(ids) == 1 else "ids"
    msg = (
        f"The index of {name} passed to {func} must hold each customer once; "
        f"{int(dup.sum())} rows share {len(ids)} customer {noun}: {shown}."
    )
    if hint:
        msg += f"\nHint: {hint}"
    raise ValidationError(msg)

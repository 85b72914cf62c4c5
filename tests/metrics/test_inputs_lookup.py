"""The survey / interaction id look-up gives exactly ``isin``'s answer, whatever the dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custloyalty._frames import in_index

_IDS = {
    "str": (pd.Index(["a", "b", "c", "d"]), pd.Series(["b", "z", "a", "b", "D"])),
    "object": (
        pd.Index(["a", 1, 2.5], dtype=object),
        pd.Series([1, True, "a", 2.5, "x"], dtype=object),
    ),
    "int": (pd.Index([3, 1, 2]), pd.Series([1, 1, 7, 3])),
    "int_vs_float": (pd.Index([3, 1, 2]), pd.Series([1.0, 2.5, 3.0])),
    "int_vs_str": (pd.Index([3, 1, 2]), pd.Series(["1", "3"])),
    "bool_vs_int": (pd.Index([0, 1, 2]), pd.Series([True, False])),
    "float": (pd.Index([0.0, 1.5, np.nan]), pd.Series([-0.0, np.nan, 1.5, 2.0])),
    "dates": (
        pd.Index(pd.to_datetime(["2024-01-01", "2024-02-01"])),
        pd.Series(pd.to_datetime(["2024-02-01", "2024-03-01"])),
    ),
    "categorical": (pd.Index(["a", "b"]), pd.Series(["b", "c"], dtype="category")),
    "nullable": (pd.Index([1, 2], dtype="Int64"), pd.Series([2, None, 3], dtype="Int64")),
    "not_unique": (pd.Index(["a", "a", "b"]), pd.Series(["a", "c"])),
}


@pytest.mark.parametrize("case", list(_IDS))
def test_in_index_equals_isin(case: str) -> None:
    index, values = _IDS[case]
    assert in_index(values, index).tolist() == values.isin(index).tolist()

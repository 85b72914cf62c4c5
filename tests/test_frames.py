"""The validation boundary: every bad input raises ValidationError naming the column."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from custloyalty import ValidationError, rfm_summary
from custloyalty._frames import coerce_timestamp, numeric_columns, transactions


def good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 3],
            "date": [
                "2024-01-01",
                "2024-01-05",
                "2024-01-02",
                "2024-01-03",
                "2024-01-03",
                "2024-02-01",
            ],
            "amount": [10.0, 12.5, 3.0, 7.0, 1.0, 2.0],
        }
    )


def test_valid_input_is_coerced() -> None:
    out = transactions(good()).frame
    assert list(out.columns) == ["customer_id", "date", "amount"]
    assert out["date"].dtype.kind == "M"
    assert out["amount"].dtype == np.float64


def test_custom_column_names_are_resolved() -> None:
    df = good().rename(columns={"customer_id": "cid", "date": "ts", "amount": "value"})
    out = transactions(df, customer="cid", time="ts", amount="value").frame
    assert list(out.columns) == ["customer_id", "date", "amount"]


def test_missing_column_names_it_and_hints() -> None:
    df = good().rename(columns={"amount": "amunt"})
    with pytest.raises(
        ValidationError, match=r"(?s)Column 'amount' not found.*did you mean 'amunt'"
    ):
        transactions(df)


def test_empty_table() -> None:
    with pytest.raises(ValidationError, match="empty"):
        transactions(good().iloc[:0])


def test_null_ids() -> None:
    df = good()
    df["customer_id"] = df["customer_id"].astype(object)
    df.loc[[2, 4], "customer_id"] = None
    with pytest.raises(
        ValidationError, match=r"Column 'customer_id' has 2 null customer id values \(rows 2, 4\)"
    ):
        transactions(df)


def test_unparseable_dates_show_examples() -> None:
    df = good()
    df.loc[3, "date"] = "not a date"
    with pytest.raises(
        ValidationError,
        match=r"Column 'date' has 1 unparseable date value \(rows 3\): 'not a date'",
    ):
        transactions(df)


def test_missing_dates() -> None:
    df = good()
    df.loc[[0, 5], "date"] = None
    with pytest.raises(
        ValidationError, match=r"Column 'date' has 2 missing date values \(rows 0, 5\)"
    ):
        transactions(df)


def test_missing_dates_omitted_on_request() -> None:
    df = good()
    df.loc[[0, 5], "date"] = None
    tx = transactions(df, nan_policy="omit")
    assert tx.n_omitted == 2
    assert len(tx.frame) == 4


def test_non_numeric_amounts() -> None:
    df = good()
    df["amount"] = ["10", "12,5", "3", "n/a", "1", "-"]
    with pytest.raises(
        ValidationError,
        match=r"Column 'amount' has 3 non-numeric values \(rows 1, 3, 5\): '12,5', 'n/a', '-'",
    ):
        transactions(df)


def test_numeric_strings_are_coerced() -> None:
    df = good()
    df["amount"] = ["10", "12.5", "3", "7", "1", "2e0"]
    out = transactions(df).frame
    assert out["amount"].tolist() == [10.0, 12.5, 3.0, 7.0, 1.0, 2.0]


def test_nan_amounts() -> None:
    df = good()
    df.loc[1, "amount"] = np.nan
    with pytest.raises(
        ValidationError, match=r"Column 'amount' has 1 missing \(NaN\) value \(rows 1\)"
    ):
        transactions(df)


def test_infinite_amounts() -> None:
    df = good()
    df.loc[[1, 2], "amount"] = [np.inf, -np.inf]
    with pytest.raises(
        ValidationError, match=r"Column 'amount' has 2 infinite values \(rows 1, 2\)"
    ):
        transactions(df)


def test_more_than_five_bad_rows_shows_five_examples() -> None:
    df = pd.DataFrame({"customer_id": range(8), "date": ["x"] * 8, "amount": 1.0})
    with pytest.raises(ValidationError) as info:
        transactions(df)
    msg = str(info.value)
    assert "8 unparseable date values (rows 0, 1, 2, 3, 4)" in msg


def test_mixed_time_zones_in_strings() -> None:
    df = good()
    df["date"] = [
        "2024-01-01T10:00+01:00",
        "2024-01-05T10:00+01:00",
        "2024-01-02T10:00+05:00",
        "2024-01-03T10:00+01:00",
        "2024-01-03T11:00+01:00",
        "2024-02-01T10:00+01:00",
    ]
    with pytest.raises(ValidationError, match=r"Column 'date' mixes time zones.*rows 2"):
        transactions(df)


def test_naive_and_aware_timestamps_mixed() -> None:
    df = good()
    df["date"] = [pd.Timestamp("2024-01-01")] * 5 + [pd.Timestamp("2024-01-02", tz="UTC")]
    df["date"] = df["date"].astype(object)
    with pytest.raises(ValidationError, match=r"Column 'date' mixes time zones"):
        transactions(df)


def test_mismatched_time_zone_of_observation_end() -> None:
    df = good()
    df["date"] = pd.to_datetime(df["date"]).dt.tz_localize("Europe/Paris")
    with pytest.raises(ValidationError, match=r"(?s)observation_end.*mismatched time zones"):
        rfm_summary(df, observation_end="2024-03-01")
    with pytest.raises(ValidationError, match="mismatched time zones"):
        coerce_timestamp(pd.Timestamp("2024-01-01", tz="UTC"), "observation_end", tz=None)


def test_aware_dates_with_one_zone_are_accepted() -> None:
    df = good()
    df["date"] = pd.to_datetime(df["date"]).dt.tz_localize("Europe/Paris")
    s = rfm_summary(df, observation_end=pd.Timestamp("2024-03-01", tz="Europe/Paris"))
    assert len(s) == 3


def test_yyyymmdd_integers_are_dates_but_other_numbers_are_not() -> None:
    df = good()
    df["date"] = [20240101, 20240105, 20240102, 20240103, 20240103, 20240201]
    assert transactions(df).frame["date"].iloc[0] == pd.Timestamp("2024-01-01")
    df["date"] = [1.5, 2, 3, 4, 5, 6]
    with pytest.raises(ValidationError, match="Column 'date' is numeric"):
        transactions(df)


def test_bad_nan_policy() -> None:
    with pytest.raises(
        ValidationError,
        match=r"'nan_policy' parameter of .* must be one of \{'raise', 'omit'\}; got 'drop'",
    ):
        transactions(good(), nan_policy="drop")


def test_validation_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        transactions(good().iloc[:0])


def test_numeric_columns_bounds_and_integers() -> None:
    df = pd.DataFrame({"q1": [1, 5, 11], "q2": [1.5, 2, 3]})
    with pytest.raises(ValidationError, match=r"Column 'q1' has 1 out-of-range .* \(rows 2\): 11"):
        numeric_columns(df, ["q1"], bounds=(1, 10))
    with pytest.raises(
        ValidationError, match=r"Column 'q2' has 1 non-integer value \(rows 0\): 1.5"
    ):
        numeric_columns(df, ["q2"], integer=True)


def test_polars_like_input_via_to_pandas() -> None:
    class Wrapper:
        def to_pandas(self) -> pd.DataFrame:
            return good()

    assert len(transactions(Wrapper()).frame) == 6


def test_not_a_table() -> None:
    with pytest.raises(ValidationError, match="must be a table"):
        transactions([1, 2, 3])


# Hypothesis: whatever the frame, the boundary never modifies it (valid or not).
cells = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["2024-01-01", "x", "3.5", "", "2024-02-30"]),
)
frames = hpd.data_frames(
    columns=[
        hpd.column(
            "customer_id", elements=st.one_of(st.none(), st.integers(0, 3), st.text(max_size=2))
        ),
        hpd.column("date", elements=cells),
        hpd.column("amount", elements=cells),
    ],
    index=hpd.range_indexes(min_size=0, max_size=12),
)


@given(df=frames, policy=st.sampled_from(["raise", "omit"]))
def test_input_frame_is_never_modified(df: pd.DataFrame, policy: str) -> None:
    before = df.copy(deep=True)
    with contextlib.suppress(ValidationError):
        transactions(df, nan_policy=policy)
    pd.testing.assert_frame_equal(df, before)


@given(
    df=hpd.data_frames(
        columns=[
            hpd.column("customer_id", elements=st.integers(1, 5)),
            hpd.column(
                "date",
                elements=st.dates(
                    pd.Timestamp("2020-01-01").date(), pd.Timestamp("2020-12-31").date()
                ).map(str),
            ),
            hpd.column("amount", elements=st.floats(0, 1000)),
        ],
        index=hpd.range_indexes(min_size=1, max_size=20),
    )
)
def test_valid_frames_unchanged_by_summary(df: pd.DataFrame) -> None:
    before = df.copy(deep=True)
    rfm_summary(df)
    pd.testing.assert_frame_equal(df, before)

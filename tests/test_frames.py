"""The validation boundary: every bad input raises ValidationError naming the column."""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from custloyalty import ValidationError, _frames, rfm_summary
from custloyalty._frames import coerce_datetime, coerce_timestamp, numeric_columns, transactions
from custloyalty._validation import as_1d_float, check_in_range


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
        rfm_summary(df, observation_end="2024-03-01 10:30")
    with pytest.raises(ValidationError, match="mismatched time zones"):
        coerce_timestamp(pd.Timestamp("2024-01-01", tz="UTC"), "observation_end", tz=None)


def test_a_naive_calendar_day_is_the_local_day_of_aware_data() -> None:
    # a date without a time of day names a local calendar day: no time zone to agree on
    df = good()
    df["date"] = pd.to_datetime(df["date"]).dt.tz_localize("Europe/Paris")
    aware = rfm_summary(df, observation_end=pd.Timestamp("2024-03-01", tz="Europe/Paris"))
    for day in ("2024-03-01", pd.Timestamp("2024-03-01"), dt.date(2024, 3, 1)):
        pd.testing.assert_frame_equal(rfm_summary(df, observation_end=day), aware)
    ts = coerce_timestamp("2024-03-01", "observation_end", tz="Asia/Tokyo")
    assert ts == pd.Timestamp("2024-03-01", tz="Asia/Tokyo")


@pytest.mark.parametrize("value", ["03/04/2024", "4.3.2024", "01-02-24"])
def test_day_month_strings_that_fit_both_orders_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match=r"(?s)'observation_end'.*ambiguous.*date_format"):
        coerce_timestamp(value, "observation_end", func="f")


def test_date_options_read_with_date_format() -> None:
    ts = coerce_timestamp("03/04/2024", "observation_end", date_format="%d/%m/%Y")
    assert ts == pd.Timestamp("2024-04-03")
    assert coerce_timestamp("13/04/2024", "observation_end") == pd.Timestamp("2024-04-13")
    with pytest.raises(ValidationError, match="does not match date_format"):
        coerce_timestamp("04-03-2024", "observation_end", date_format="%d/%m/%Y")
    # an ISO 8601 date is never ambiguous: read whatever the data's format
    iso = coerce_timestamp("2024-04-03", "observation_end", date_format="%d/%m/%Y")
    assert iso == pd.Timestamp("2024-04-03")
    df = good()
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%d/%m/%Y")
    s = rfm_summary(df, observation_end="01/03/2024", date_format="%d/%m/%Y")
    assert s.attrs["custloyalty"]["observation_end"] == "2024-03-01"


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


def test_ambiguous_day_first_dates_are_not_scrambled() -> None:
    # '%m/%d/%Y' is inferred from the first date; per-row guessing used to read these as
    # May 1st, January 13th and March 2nd without a word.
    dates = pd.Series(["05/01/2024", "13/01/2024", "03/02/2024"], name="date")
    with pytest.raises(
        ValidationError,
        match=r"(?s)Column 'date' has 1 unparseable date value \(rows 1\): '13/01/2024'\."
        r".*Hint: the format '%m/%d/%Y' was inferred from the first date '05/01/2024'"
        r".*format='%d/%m/%Y'",
    ):
        coerce_datetime(dates, "date")
    out, _ = coerce_datetime(dates, "date", date_format="%d/%m/%Y")
    assert out.tolist() == [pd.Timestamp(d) for d in ("2024-01-05", "2024-01-13", "2024-02-03")]
    df = good().iloc[:3].assign(date=dates.to_numpy())
    with pytest.raises(ValidationError, match="unparseable date"):
        rfm_summary(df)
    assert transactions(df, date_format="%d/%m/%Y").frame["date"].dt.day.tolist() == [5, 13, 3]


def test_more_than_five_misfit_dates_count_all_and_show_five() -> None:
    dates = pd.Series(["01/02/2024"] + [f"{d}/01/2024" for d in range(13, 20)])
    with pytest.raises(
        ValidationError, match=r"has 7 unparseable date values \(rows 1, 2, 3, 4, 5\)"
    ):
        coerce_datetime(dates, "date")


def test_dates_not_in_the_given_format() -> None:
    dates = pd.Series(["05/01/2024", "2024-01-13"])
    with pytest.raises(
        ValidationError,
        match=r"(?s)1 unparseable date value \(rows 1\): '2024-01-13'.*date_format='%d/%m/%Y'",
    ):
        coerce_datetime(dates, "date", date_format="%d/%m/%Y")


def test_iso_dates_with_and_without_times_mix() -> None:
    out, _ = coerce_datetime(pd.Series(["2024-01-01", "2024-01-01 10:30"]), "date")
    assert out.tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01 10:30")]


def test_dates_in_an_uninferable_format_are_not_guessed_row_by_row() -> None:
    dates = pd.Series(["1/5/24", "13/1/24"])  # no format can be inferred from '1/5/24'
    with pytest.raises(
        ValidationError,
        match=r"(?s)2 unparseable date values \(rows 0, 1\).*no date format could be inferred",
    ):
        coerce_datetime(dates, "date")
    out, _ = coerce_datetime(dates, "date", date_format="%d/%m/%y")
    assert out.tolist() == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-01-13")]


def test_datetime_objects_and_strings_share_the_format_of_the_strings() -> None:
    mixed = pd.Series([pd.Timestamp("2024-01-02"), "2024-01-05"], dtype=object)
    assert coerce_datetime(mixed, "date")[0].tolist() == [
        pd.Timestamp("2024-01-02"),
        pd.Timestamp("2024-01-05"),
    ]
    mixed = pd.Series([pd.Timestamp("2024-01-02"), "05/01/2024", "13/01/2024"], dtype=object)
    with pytest.raises(ValidationError, match=r"1 unparseable date value \(rows 2\)"):
        coerce_datetime(mixed, "date")


@pytest.mark.parametrize("odd", [0, 1.5, True, b"2024-01-02", dt.time(10, 30)])
def test_non_date_objects_in_a_text_date_column(odd: object) -> None:
    # 0 used to become 1970-01-01 with a pandas deprecation warning.
    df = good().iloc[:2].assign(date=pd.Series(["2024-01-01", odd], dtype=object))
    with pytest.raises(
        ValidationError,
        match=r"(?s)Column 'date' has 1 unparseable date value \(rows 1\): .*"
        r"Hint: a column of date strings or datetimes holds no numbers",
    ):
        transactions(df)


def test_yyyymmdd_integers_held_as_objects() -> None:
    dates = pd.Series([20240101, None, 20240105], dtype=object)
    out, missing = coerce_datetime(dates, "date", nan_policy="omit")
    assert out[0] == pd.Timestamp("2024-01-01")
    assert missing.tolist() == [False, True, False]
    with pytest.raises(ValidationError, match="Column 'date' is numeric"):
        coerce_datetime(pd.Series([0, 1], dtype=object), "date")


@pytest.mark.parametrize("dtype", ["bool", "boolean", "timedelta64[ns]"])
def test_boolean_and_timedelta_date_columns(dtype: str) -> None:
    s = pd.Series([1, 0]).astype(dtype)
    with pytest.raises(ValidationError, match=r"Column 'date' is .* and not a date"):
        coerce_datetime(s, "date")


def test_duplicated_column_names() -> None:
    tx = good()
    doubled = pd.concat([tx, tx[["amount"]]], axis=1)
    with pytest.raises(
        ValidationError, match=r"(?s)Column 'amount' appears 2 times in data.*Hint: drop or rename"
    ):
        rfm_summary(doubled)
    # a duplicated column that is not used does not matter
    extra = pd.concat([tx, pd.DataFrame(0, index=tx.index, columns=["x", "x"])], axis=1)
    assert len(transactions(extra).frame) == len(tx)
    with pytest.raises(ValidationError, match=r"Column 'q' appears 2 times in items"):
        numeric_columns(pd.DataFrame([[1, 2]], columns=["q", "q"]), name="items")


@pytest.mark.parametrize("dtype", ["bool", "boolean"])
def test_boolean_amounts_are_rejected(dtype: str) -> None:
    df = good().assign(amount=pd.Series([True, False, True, True, False, True], dtype=dtype))
    with pytest.raises(
        ValidationError, match=r"(?s)Column 'amount' must be numeric; got dtype.*Hint: booleans"
    ):
        transactions(df)
    with pytest.raises(ValidationError, match="Column 'amount' must be numeric"):
        numeric_columns(df, ["amount"])


def test_boolean_amounts_held_as_objects_are_rejected() -> None:
    df = good().assign(amount=pd.Series([10.0, True, 3.0, 7.0, 1.0, 2.0], dtype=object))
    with pytest.raises(
        ValidationError, match=r"Column 'amount' has 1 boolean value \(rows 1\): True"
    ):
        transactions(df)


def test_counts_in_messages_agree_in_number() -> None:
    df = good()
    df["date"] = [
        "2024-01-01T10:00+01:00",
        "2024-01-05T10:00+01:00",
        "2024-01-02T10:00+05:00",
        "2024-01-03T10:00+01:00",
        "2024-01-03T11:00+01:00",
        "2024-02-01T10:00+01:00",
    ]
    with pytest.raises(ValidationError) as info:
        transactions(df)
    msg = str(info.value)
    assert "+05:00 (1 row)" in msg
    assert "+01:00 (5 rows)" in msg
    assert "1 row differs from the majority (rows 2)" in msg
    with pytest.raises(ValidationError, match=r"x has 1 value outside \[0, 1\]"):
        check_in_range(np.array([0.5, 2.0]), "x", 0, 1)
    with pytest.raises(ValidationError, match=r"x has 1 non-numeric value \(rows 1\)"):
        as_1d_float(["1", "a"], "x")
    with pytest.raises(ValidationError, match=r"x has 1 infinite value \(rows 0\)"):
        as_1d_float([np.inf, 1.0], "x")
    with pytest.raises(ValidationError, match=r"x has 1 missing value \(rows 0\)"):
        as_1d_float([np.nan, 1.0], "x")
    with pytest.raises(ValidationError, match=r"x has 2 missing values \(rows 0, 1\)"):
        as_1d_float([np.nan, np.nan], "x")


# Hypothesis: whatever the frame, the boundary never modifies it (valid or not), and bad input
# raises ValidationError only (any other exception, or a warning under filterwarnings=error, fails).
_UTC_PARIS = st.sampled_from([dt.UTC, ZoneInfo("Europe/Paris")])
_WHEN = {"min_value": dt.datetime(1990, 1, 1), "max_value": dt.datetime(2030, 12, 31)}
cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([20240101, 19970315]),  # yyyymmdd integers
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "2024-01-01",
            "x",
            "3.5",
            "",
            "2024-02-30",
            "05/01/2024",
            "13/01/2024",
            "2024-01-01 10:30",
            "2024-01-01T10:00+01:00",
        ]
    ),
    st.datetimes(**_WHEN).map(pd.Timestamp),
    st.datetimes(**_WHEN, timezones=_UTC_PARIS).map(pd.Timestamp),
)
id_cells = st.one_of(st.none(), st.integers(0, 3), st.text(max_size=2))
# None: the dtype pandas infers from the values; the rest are casts (kept only if they succeed).
dtypes = st.sampled_from([None, "object", "Int64", "Float64", "string", "boolean", "category"])


def _column(values: list[object], dtype: str | None) -> pd.Series:
    with warnings.catch_warnings():  # building test data, not the code under test
        warnings.simplefilter("ignore")
        s = pd.Series(values, dtype=object if dtype == "object" else None)
        if dtype not in (None, "object"):
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                s = s.astype(dtype)
    return s


@st.composite
def boundary_frames(
    draw: st.DrawFn, columns: tuple[str, ...] = ("customer_id", "date", "amount")
) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    data = {
        c: _column(
            draw(st.lists(id_cells if c == "customer_id" else cells, min_size=n, max_size=n)),
            draw(dtypes),
        )
        for c in columns
    }
    return pd.DataFrame(data, index=pd.RangeIndex(n))


# Enough examples to reach two-row mixes such as date=['2024-01-01', 0] (derandomized in CI).
boundary_settings = settings(max_examples=400)


@boundary_settings
@given(df=boundary_frames(), policy=st.sampled_from(["raise", "omit"]))
def test_input_frame_is_never_modified(df: pd.DataFrame, policy: str) -> None:
    before = df.copy(deep=True)
    try:
        tx = transactions(df, nan_policy=policy)
    except ValidationError:
        pass
    else:
        assert tx.frame["date"].dtype.kind == "M"
        assert tx.frame["amount"].dtype == np.float64
        assert len(tx.frame) + tx.n_omitted == len(df)
    pd.testing.assert_frame_equal(df, before)


@boundary_settings
@given(
    df=boundary_frames(columns=("q1", "q2")),
    policy=st.sampled_from(["raise", "omit"]),
    bounds=st.sampled_from([None, (0.0, 10.0)]),
    integer=st.booleans(),
)
def test_numeric_columns_never_modify_the_frame(
    df: pd.DataFrame, policy: str, bounds: tuple[float, float] | None, integer: bool
) -> None:
    before = df.copy(deep=True)
    try:
        out, missing = numeric_columns(df, nan_policy=policy, bounds=bounds, integer=integer)
    except ValidationError:
        pass
    else:
        assert (out.dtypes == np.float64).all()
        assert out.index.equals(df.index)
        assert missing.shape == (len(df),)
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


# ------------------------------------------------------------- shared label checks
def test_check_unique_index_names_the_repeated_labels() -> None:
    _frames.check_unique_index(pd.Index([1, 2, 3]), "scores", func="f")  # unique: no error
    with pytest.raises(
        ValidationError,
        match=r"index of scores passed to f must hold each customer id once; 3 rows share 1 "
        r"customer id: 2\.\nHint: one row each",
    ):
        _frames.check_unique_index(pd.Index([1, 2, 2, 2]), "scores", func="f", hint="one row each")


def test_align_to_index_reorders_and_reports_mismatches() -> None:
    target = pd.Index(["a", "b", "c"])
    w = pd.Series([3.0, 1.0, 2.0, 9.0], index=["c", "a", "b", "z"])
    got = _frames.align_to_index(w, target, name="weights", target="ratings", func="f")
    assert got.tolist() == [1.0, 2.0, 3.0]  # extra label 'z' ignored by default
    with pytest.raises(ValidationError, match=r"1 label of weights matches nothing in ratings"):
        _frames.align_to_index(w, target, name="weights", target="ratings", func="f", extra="raise")
    with pytest.raises(ValidationError, match=r"2 labels of ratings have no match in weights"):
        _frames.align_to_index(w.iloc[:1], target, name="weights", target="ratings", func="f")
    same = pd.Series([1.0, 2.0], index=["x", "x"])  # identical indexes: positional, repeats ok
    assert _frames.align_to_index(same, same.index, name="w", target="r", func="f") is same


def test_as_1d_float_missing_hint_and_keep_missing() -> None:
    from custloyalty._validation import as_1d_float

    with pytest.raises(ValidationError, match="nan_policy='omit'"):
        as_1d_float([1.0, np.nan], "x")
    with pytest.raises(ValidationError) as info:
        as_1d_float([1.0, np.nan], "x", missing_hint=None)
    assert "Hint" not in str(info.value)
    arr, keep = as_1d_float([1.0, np.nan, 3.0], "x", nan_policy="omit", keep_missing=True)
    assert arr.shape == (3,)
    assert np.isnan(arr[1])
    assert keep.tolist() == [True, False, True]


def test_one_id_written_as_a_number_and_as_a_string_is_refused() -> None:
    # two sources concatenated, one read with numeric ids: 2 and "2" were two customers, each
    # with part of the purchases (rfm_summary counted 71 customers of 50)
    tx = pd.DataFrame(
        {
            "customer_id": pd.Series([2, "2", "3", 4.0, " 4", "A7"], dtype=object),
            "date": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-01-05"] * 2),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    with pytest.raises(ValidationError, match=r"2 customer ids written both as a number") as err:
        rfm_summary(tx)
    assert "2 and '2'" in str(err.value)
    assert "4.0 and ' 4'" in str(err.value)
    assert ".astype(str)" in str(err.value)
    # numbers and strings that never name the same customer are kept apart, as given
    ok = tx.assign(customer_id=pd.Series([2, "B2", "3", 4.0, "x4", "A7"], dtype=object))
    assert len(rfm_summary(ok)) == 6
    # the same check guards every table read with customer ids (surveys, interactions)
    from custloyalty.metrics import metric_inputs

    surveys = pd.DataFrame({"customer_id": pd.Series([3, "3"], dtype=object), "x": [1, 2]})
    with pytest.raises(ValidationError, match="written both as a number and as a string"):
        metric_inputs(ok, surveys)

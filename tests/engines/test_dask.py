"""rfm_summary and the transaction metrics on Dask equal the in-memory results."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import custloyalty as cl
from custloyalty import metrics
from custloyalty.datasets import make_transactions
from custloyalty.errors import ValidationError

dd = pytest.importorskip("dask.dataframe")

END = "1998-06-30"
EXACT = ["frequency", "recency", "T", "n_purchases", "first_purchase", "last_purchase"]


def _equal_summary(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Counts and days exactly, money to 1e-9."""
    got = got.sort_index()
    assert got.index.astype(object).equals(ref.index.astype(object))  # Dask may use Arrow str
    assert list(got.columns) == list(ref.columns)
    assert (got.dtypes == ref.dtypes).all()
    exact = [c for c in EXACT if c in ref]
    pd.testing.assert_frame_equal(got[exact], ref[exact], check_exact=True, check_index_type=False)
    money = [c for c in ref.columns if c not in exact]
    pd.testing.assert_frame_equal(
        got[money], ref[money], check_exact=False, rtol=0, atol=1e-9, check_index_type=False
    )


def _random_partitions(tx: pd.DataFrame, seed: int, n: int) -> Any:
    """Rows shuffled and cut into ``n`` partitions of random sizes."""
    rng = np.random.default_rng(seed)
    shuffled = tx.iloc[rng.permutation(len(tx))].reset_index(drop=True)
    cuts = np.sort(rng.choice(np.arange(1, len(tx)), size=n - 1, replace=False))
    parts = np.split(np.arange(len(tx)), cuts)
    return dd.from_pandas(shuffled, npartitions=1).repartition(
        divisions=[0, *[int(p[0]) for p in parts[1:]], len(tx) - 1]
    )


def test_cdnow_master_equals_in_memory(cdnow_master: pd.DataFrame) -> None:
    ref = cl.rfm_summary(cdnow_master, observation_end=END)
    out = cl.rfm_summary(_random_partitions(cdnow_master, 0, 6), observation_end=END)
    assert isinstance(out, dd.DataFrame)
    _equal_summary(out.compute(), ref)


@settings(max_examples=4)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 7), unit=st.sampled_from(["D", "W", "M"]))
def test_random_partitionings_of_cdnow(
    cdnow_master: pd.DataFrame, seed: int, n: int, unit: str
) -> None:
    tx = cdnow_master.iloc[: 4000 + seed % 3000]
    ref = cl.rfm_summary(tx, observation_end="1997-12-31", time_unit=unit)
    out = cl.rfm_summary(
        _random_partitions(tx, seed, n), observation_end="1997-12-31", time_unit=unit
    )
    _equal_summary(out.compute(), ref)


@settings(max_examples=4)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 6))
def test_random_partitionings_of_generated_data(seed: int, n: int) -> None:
    tx = make_transactions(300, seed=seed)
    end = tx["date"].max()
    ref = cl.rfm_summary(tx, observation_end=end)
    _equal_summary(
        cl.rfm_summary(_random_partitions(tx, seed, n), observation_end=end).compute(), ref
    )


def test_calibration_holdout_and_string_ids(cdnow_master: pd.DataFrame) -> None:
    tx = cdnow_master.assign(customer_id=lambda d: "c" + d["customer_id"].astype(str))
    kw: dict[str, Any] = {"observation_end": "1997-12-31", "calibration_end": "1997-06-30"}
    ref = cl.rfm_summary(tx, time_unit="W", **kw)
    out = cl.rfm_summary(_random_partitions(tx, 3, 5), time_unit="W", **kw)
    _equal_summary(out.compute(), ref)


def test_time_zone_aware_dates() -> None:
    tx = make_transactions(200, seed=1)
    tx["date"] = tx["date"].dt.tz_localize("Europe/Paris")
    end = pd.Timestamp("2021-06-30", tz="Europe/Paris")
    ref = cl.rfm_summary(tx, observation_end=end)
    _equal_summary(
        cl.rfm_summary(dd.from_pandas(tx, npartitions=3), observation_end=end).compute(), ref
    )


def test_without_amount_and_with_custom_columns(cdnow_master: pd.DataFrame) -> None:
    tx = cdnow_master.rename(columns={"customer_id": "cid", "date": "day"})
    ref = cl.rfm_summary(tx, customer="cid", time="day", amount=None, observation_end=END)
    out = cl.rfm_summary(
        dd.from_pandas(tx, npartitions=3),
        customer="cid",
        time="day",
        amount=None,
        observation_end=END,
    )
    _equal_summary(out.compute(), ref)
    assert out.index.name == "cid"


def test_buckets_where_every_customer_starts_after_the_window() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-05", "2024-03-06"]),
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    ddf = dd.from_pandas(tx, npartitions=1).repartition(divisions=[0, 2, 3])
    out = cl.rfm_summary(ddf, observation_end="2024-02-29", partitioned_by_customer=True).compute()
    ref = cl.rfm_summary(tx, observation_end="2024-02-29")
    _equal_summary(out, ref)


def test_partitioned_by_customer_skips_the_shuffle(cdnow_master: pd.DataFrame) -> None:
    tx = cdnow_master.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(tx, npartitions=1)
    firsts = tx.index[~tx["customer_id"].duplicated()].to_numpy()
    ddf = ddf.repartition(divisions=[0, int(firsts[5000]), int(firsts[15000]), len(tx) - 1])
    out = cl.rfm_summary(ddf, observation_end=END, partitioned_by_customer=True)
    _equal_summary(out.compute(), cl.rfm_summary(tx, observation_end=END))


def test_partitioned_by_customer_names_a_customer_split_across_partitions(
    cdnow_master: pd.DataFrame,
) -> None:
    tx = cdnow_master.sort_values("customer_id", kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(tx, npartitions=4, sort=False)
    out = cl.rfm_summary(ddf, observation_end=END, partitioned_by_customer=True)  # lazy: no error
    with pytest.raises(ValidationError, match=r"span several partitions.*5506 \(partitions 0, 1\)"):
        out.compute()


# Dask's Parquet reader calls reset_index(inplace=True), deprecated by pandas 3.1
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")
def test_partitioned_by_customer_checks_each_parquet_file(
    cdnow_master: pd.DataFrame, tmp_path: Any
) -> None:
    # Dask reads small files two by two when only the id column is used: the check must
    # still see one partition per file, or a customer split across two files goes unseen
    pytest.importorskip("pyarrow")
    tx = cdnow_master.sort_values("customer_id", kind="stable").reset_index(drop=True)
    cut = int(tx.index[tx["customer_id"] == 5506][0]) + 1  # 5506 in both files
    tx.iloc[:cut].to_parquet(tmp_path / "a.parquet", index=False)
    tx.iloc[cut:].to_parquet(tmp_path / "b.parquet", index=False)
    ddf = dd.read_parquet([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")])
    assert ddf["customer_id"].optimize().npartitions == 1  # what Dask does on its own
    out = cl.rfm_summary(ddf, observation_end=END, partitioned_by_customer=True)
    with pytest.raises(ValidationError, match=r"1 customer of .*5506 \(partitions 0, 1\)"):
        out.compute()


def test_partition_check_names_the_first_customers_in_partition_order() -> None:
    # ids spread over the hash groups of the check: the examples are still the first five
    # spanning customers in partition order, and the count covers every group
    ids = np.arange(200)
    tx = pd.DataFrame(
        {
            "customer_id": np.concatenate([ids, ids[::-1][:100]]),
            "date": pd.Timestamp("2024-01-01"),
            "amount": 1.0,
        }
    )
    parts = [tx.iloc[:150], tx.iloc[150:200], tx.iloc[200:]]
    ddf = dd.from_pandas(tx, npartitions=1).repartition(divisions=[0, 150, 200, 299])
    assert [len(p) for p in ddf.partitions] == [len(p) for p in parts]
    out = cl.rfm_summary(ddf, observation_end="2024-02-01", partitioned_by_customer=True)
    first = "; ".join(f"{v} (partitions {'1, 2' if v >= 150 else '0, 2'})" for v in range(100, 105))
    with pytest.raises(ValidationError, match=rf"100 customers of .*: {re.escape(first)}\. "):
        out.compute()


def test_refuses_a_dask_frame_without_observation_end(cdnow_master: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="needs observation_end"):
        cl.rfm_summary(dd.from_pandas(cdnow_master, npartitions=2))


def test_partitioned_by_customer_is_refused_for_pandas(cdnow_master: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="Dask DataFrames only"):
        cl.rfm_summary(cdnow_master, partitioned_by_customer=True)


def test_missing_column_named_before_computing(cdnow_master: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="'when' not found"):
        cl.rfm_summary(
            dd.from_pandas(cdnow_master, npartitions=2), time="when", observation_end=END
        )


def test_the_output_is_lazy_and_never_sorted_as_a_whole(cdnow_master: pd.DataFrame) -> None:
    out = cl.rfm_summary(dd.from_pandas(cdnow_master, npartitions=4), observation_end=END)
    assert out.npartitions == 4
    assert not out.known_divisions
    parts = list(out.to_delayed())
    firsts = [p.compute().index for p in parts]
    assert all(ix.is_monotonic_increasing for ix in firsts)  # each partition sorted
    assert sum(len(ix) for ix in firsts) == cdnow_master["customer_id"].nunique()


@pytest.mark.parametrize(
    ("func", "options"),
    [
        ("churn_flags", {"threshold": 90}),
        ("purchase_rate", {}),
        ("purchase_days", {}),
        ("days_since_last_purchase", {}),
        ("interpurchase_intervals", {}),
        ("purchase_frequency", {"period": "Q"}),
        ("order_value", {}),
    ],
)
def test_per_customer_metrics(
    cdnow_master: pd.DataFrame, func: str, options: dict[str, Any]
) -> None:
    f = getattr(metrics, func)
    ref = f(cdnow_master, observation_end=END, **options)
    got = f(_random_partitions(cdnow_master, 5, 4), observation_end=END, **options).compute()
    got = got.sort_index()
    if isinstance(ref, pd.Series):
        pd.testing.assert_series_equal(got, ref.sort_index(), check_exact=False, rtol=0, atol=1e-9)
    else:
        pd.testing.assert_frame_equal(got, ref.sort_index(), check_exact=False, rtol=0, atol=1e-9)


def test_per_customer_metric_on_a_dask_summary(cdnow_master: pd.DataFrame) -> None:
    summary = cl.rfm_summary(dd.from_pandas(cdnow_master, npartitions=3), observation_end=END)
    got = metrics.purchase_rate(summary).compute().sort_index()
    pd.testing.assert_series_equal(got, metrics.purchase_rate(cdnow_master, observation_end=END))


def test_transactions_carrying_summary_columns_stay_transactions(
    cdnow_master: pd.DataFrame,
) -> None:
    joined = cdnow_master.assign(frequency=7, recency=1.0, T=2.0)
    got = metrics.purchase_rate(dd.from_pandas(joined, npartitions=3), observation_end=END)
    pd.testing.assert_series_equal(
        got.compute().sort_index(), metrics.purchase_rate(cdnow_master, observation_end=END)
    )


@pytest.mark.parametrize(
    "func", ["churn_rate", "cohort_retention", "repeat_purchase_rate", "survival_curve"]
)
def test_whole_base_metrics_are_refused_with_the_way_round(
    cdnow_master: pd.DataFrame, func: str
) -> None:
    kw = {"threshold": 30} if func == "survival_curve" else {}
    with pytest.raises(
        ValidationError, match=rf"^{func} does not take a Dask DataFrame(.|\n)*Hint: "
    ):
        getattr(metrics, func)(dd.from_pandas(cdnow_master, npartitions=2), **kw)


def test_per_customer_metric_needs_observation_end(cdnow_master: pd.DataFrame) -> None:
    with pytest.raises(
        ValidationError, match="churn_flags on a Dask DataFrame needs observation_end"
    ):
        metrics.churn_flags(dd.from_pandas(cdnow_master, npartitions=2), threshold=30)


def test_in_memory_functions_refuse_a_dask_table(cdnow_master: pd.DataFrame) -> None:
    summary = cl.rfm_summary(dd.from_pandas(cdnow_master, npartitions=2), observation_end=END)
    with pytest.raises(
        ValidationError, match=r"summary passed here is a Dask DataFrame(.|\n)*compute"
    ):
        cl.rfm_scores(summary)


def test_caller_frame_unchanged(cdnow_master: pd.DataFrame) -> None:
    tx = cdnow_master.copy()
    ddf = dd.from_pandas(tx, npartitions=3)
    cl.rfm_summary(ddf, observation_end=END).compute()
    pd.testing.assert_frame_equal(tx, cdnow_master)


def test_two_worker_cluster(local_cluster: Any, cdnow_master: pd.DataFrame) -> None:
    """Integration: the same result on two worker processes (pickling, real shuffle)."""
    ref = cl.rfm_summary(cdnow_master, observation_end=END)
    with local_cluster.as_current():  # the distributed (p2p) shuffle
        out = cl.rfm_summary(_random_partitions(cdnow_master, 9, 4), observation_end=END)
        got = out.compute(scheduler=local_cluster)
    _equal_summary(got, ref)


def test_kernels_run_on_the_task_thread_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # a Dask worker runs one bucket per thread: the kernel must not sort on every core besides
    from custloyalty import _window

    calls: list[int] = []
    bucketed = _window._bucketed_runs

    def spy(*args: Any) -> Any:
        calls.append(args[-1])
        return bucketed(*args)

    monkeypatch.setattr(_window, "_BUCKET_MIN_ROWS", 2)
    monkeypatch.setattr(_window, "_BUCKET_THREADS", 2)
    monkeypatch.setattr(_window, "_bucketed_runs", spy)
    tx = make_transactions(300, seed=3).sample(frac=1.0, random_state=3)
    ref = cl.rfm_summary(tx, observation_end="2021-06-29")
    assert calls == [2]  # in memory: both threads
    out = cl.rfm_summary(dd.from_pandas(tx, npartitions=3), observation_end="2021-06-29")
    _equal_summary(out.compute(), ref)
    assert calls == [2]  # per bucket: the task's thread only
    assert cl.bucket_summary(tx, observation_end="2021-06-29").shape[0] == len(ref)
    assert calls == [2]


def test_partition_check_with_more_partitions_than_hash_groups(
    cdnow_master: pd.DataFrame,
) -> None:
    from custloyalty._engines import _dask

    tx = cdnow_master.sort_values("customer_id", kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(tx, npartitions=_dask._CHECK_GROUPS + 8, sort=False)
    ids = [set(p["customer_id"]) for p in (ddf.partitions[i].compute() for i in range(3))]
    spanning = sorted((ids[0] & ids[1]) | (ids[1] & ids[2]))
    assert spanning  # the cut falls inside a customer
    out = cl.rfm_summary(ddf, observation_end=END, partitioned_by_customer=True)
    with pytest.raises(
        ValidationError, match=rf"customers? of .*: {spanning[0]} \(partitions 0, 1"
    ):
        out.compute()
    whole = dd.from_pandas(tx, npartitions=1)
    assert len(cl.rfm_summary(whole, observation_end=END, partitioned_by_customer=True)) > 0


def test_dictionary_encoded_ids_keep_their_values() -> None:
    pa = pytest.importorskip("pyarrow")
    from custloyalty._engines._dask import _synthetic_transactions

    ids = pd.arrays.ArrowExtensionArray(pa.array(["a", "b", "a"]).dictionary_encode())
    df = pd.DataFrame(
        {
            "customer_id": pd.Series(ids),
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05"]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    ddf = dd.from_pandas(df, npartitions=2)
    synthetic = _synthetic_transactions(ddf._meta, "customer_id", "date", "amount", "2024-01-10")
    assert synthetic["customer_id"].notna().all()  # Dask's own example value is a null
    assert synthetic["customer_id"].dtype == df["customer_id"].dtype
    got = cl.rfm_summary(ddf, observation_end="2024-01-10").compute()
    want = cl.rfm_summary(df, observation_end="2024-01-10")
    got.index = got.index.astype(str)  # pyarrow cannot sort a dictionary-encoded index
    want.index = want.index.astype(str)
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index())

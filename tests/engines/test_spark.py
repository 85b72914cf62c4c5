"""The Spark recipe of docs/guides/scale.md on local[2]: equal to the in-memory results.

Runs under ``make test-spark`` (CUSTLOYALTY_TEST_SPARK=1) where pyspark and a Java runtime are
installed; skipped otherwise, with the reason.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import custloyalty as cl
from custloyalty.datasets import load_cdnow

pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
if os.environ.get("CUSTLOYALTY_TEST_SPARK") != "1":  # minutes of JVM start-up: opt in
    pytest.skip(
        "Spark recipe runs with CUSTLOYALTY_TEST_SPARK=1 (make test-spark)", allow_module_level=True
    )
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (make test-spark)")
if shutil.which("java") is None:
    pytest.skip("no Java runtime on PATH (make test-spark installs one)", allow_module_level=True)

END = "1998-06-30"
SUMMARY_SCHEMA = (
    "customer_id long, frequency long, recency double, T double, monetary double, "
    "n_purchases long, total_amount double, first_purchase timestamp, last_purchase timestamp"
)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("custloyalty-test")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_bucket_summary_through_apply_in_pandas(spark: Any) -> None:
    from pyspark.sql import functions as F

    tx = load_cdnow("master")[["customer_id", "date", "amount"]]
    sdf = spark.createDataFrame(tx)

    def summarise(bucket: pd.DataFrame) -> pd.DataFrame:
        return cl.bucket_summary(bucket, observation_end=END)

    out = (
        sdf.withColumn("bucket", F.pmod(F.xxhash64("customer_id"), F.lit(8)))
        .groupBy("bucket")
        .applyInPandas(summarise, schema=SUMMARY_SCHEMA)
        .toPandas()
        .set_index("customer_id")
        .sort_index()
    )
    ref = cl.rfm_summary(tx, observation_end=END)
    pd.testing.assert_frame_equal(out, ref, check_exact=False, rtol=0, atol=1e-9, check_dtype=False)
    exact = ["frequency", "recency", "T", "n_purchases"]
    assert (out[exact] == ref[exact]).all().all()


def test_bucket_scores_through_apply_in_pandas(spark: Any) -> None:
    from pyspark.sql import functions as F

    from custloyalty.scorecard import LoyaltyScorecard

    tx = load_cdnow("master")[["customer_id", "date", "amount"]]
    card = LoyaltyScorecard().fit(tx, observation_end=END)
    ref = card.score(tx, observation_end=END).customers
    state = card.to_json()
    probe = cl.bucket_scores(card, tx.iloc[:50], observation_end=END)
    schema = spark.createDataFrame(probe).schema

    def score(bucket: pd.DataFrame) -> pd.DataFrame:
        fitted = LoyaltyScorecard.from_json(state)
        return cl.bucket_scores(fitted, bucket, observation_end=END)

    out = (
        spark.createDataFrame(tx)
        .withColumn("bucket", F.pmod(F.xxhash64("customer_id"), F.lit(8)))
        .groupBy("bucket")
        .applyInPandas(lambda b: score(b.drop(columns="bucket")), schema=schema)
        .toPandas()
        .set_index("customer_id")
        .sort_index()
    )
    assert out.index.equals(ref.index)
    pd.testing.assert_series_equal(
        out["composite"], ref["composite"], check_exact=False, rtol=0, atol=1e-9
    )
    assert (out["tier"].to_numpy() == ref["tier"].astype(object).to_numpy()).all()

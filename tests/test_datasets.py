"""Bundled data sets and synthetic generators."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custloyalty import ValidationError, rfm_summary
from custloyalty.datasets import load_cdnow, load_ecsi, make_survey, make_transactions

#: the original files, beside the repository in CI (``../shared/data``); absent in a lone clone
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_cdnow_sample_shape() -> None:
    tx = load_cdnow("sample")
    assert tx.shape == (6919, 4)
    assert tx["customer_id"].nunique() == 2357
    assert tx["customer_id"].min() == 1
    assert tx["customer_id"].max() == 2357


def test_cdnow_master_shape_and_dtypes() -> None:
    tx = load_cdnow("master")
    assert tx.shape == (69659, 4)
    assert tx["customer_id"].nunique() == 23570
    assert tx.dtypes.astype(str).tolist() == ["int64", "datetime64[ns]", "int64", "float64"]
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")


# sha256 of the original files in ../shared/data (as distributed; see its README). The
# sample's digest is of the file with its first column (the master id, which the bundled copy
# does not keep) cut from every line. When ../shared is absent the bundled copies are rendered
# back into the original layout, byte for byte, and checked against these digests.
ORIGINALS = {
    "cdnow/CDNOW_master.txt": "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef",
    "cdnow/CDNOW_sample.txt": "6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a",
    "ecsi/satisfaction.csv": "7472dc1222129c94ecb4b1f0fdab1e9d82bd15023b09eb55f527ba4c6bc9d5e9",
    "ecsi/mobi.csv": "3b570b477b75af1b0593d8538cd0566e89c01c5bef6a0857cfdb6264d7a96894",
}
SAMPLE_WITHOUT_MASTER_ID = "73be02666f1a07dfeef29c9e18e9b38620bb2516c41138ca13c3d53e184069d6"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cut_master_id(original: bytes) -> bytes:
    """The sample file without its first column: ' 00004 0001 ...' -> ' 0001 ...'."""
    return b"".join(line[6:] if line.strip() else line for line in original.splitlines(True))


def _render_cdnow(tx: pd.DataFrame, *, header: bool) -> bytes:
    """Bundled CDNOW rows in the layout of the original text files (fixed width, CRLF)."""
    ids = (
        tx["customer_id"].map("{:05d}".format) if header else tx["customer_id"].map("{:04d}".format)
    )
    days = tx["date"].dt.strftime("%Y%m%d")
    cds = tx["quantity"].map("{:2d}".format)
    dollars = tx["amount"].map("{:7.2f}".format)
    lines = " " + ids + " " + days + " " + cds + " " + dollars + "\r\n"
    head = " customer_id  date number_of_cds  dollar_value\r\n" if header else ""
    return (head + "".join(lines)).encode("ascii")


def _render_ecsi(df: pd.DataFrame) -> bytes:
    """Bundled ECSI answers as R's write.csv wrote the original (quoted names, row names)."""
    quoted = df.copy()
    for col in quoted.columns:
        if not pd.api.types.is_numeric_dtype(quoted[col]):
            quoted[col] = '"' + quoted[col].astype(str) + '"'
    quoted.index = [f'"{i + 1}"' for i in range(len(quoted))]
    head = ",".join(['""', *(f'"{c}"' for c in df.columns)]) + "\n"
    body = "".join(
        ",".join([str(i), *map(str, row)]) + "\n"
        for i, row in zip(quoted.index, quoted.itertuples(index=False), strict=True)
    )
    return (head + body).encode("ascii")


def _rendered() -> dict[str, bytes]:
    return {
        "cdnow/CDNOW_master.txt": _render_cdnow(load_cdnow("master"), header=True),
        "cdnow/CDNOW_sample.txt": _render_cdnow(load_cdnow("sample"), header=False),
        "ecsi/satisfaction.csv": _render_ecsi(load_ecsi("satisfaction")),
        "ecsi/mobi.csv": _render_ecsi(load_ecsi("mobi")),
    }


@pytest.mark.parametrize("name", list(ORIGINALS))
def test_bundled_copies_equal_the_originals(name: str) -> None:
    # The only test that may read ../shared: with the originals beside the repository, they
    # must still have their recorded digests and the bundled copy must render to them byte for
    # byte; without them (a clone standing alone), the rendered bundle must match the digests.
    rendered = _rendered()[name]
    want = SAMPLE_WITHOUT_MASTER_ID if name.endswith("sample.txt") else ORIGINALS[name]
    original = SHARED / name
    if original.is_file():
        data = original.read_bytes()
        assert _sha256(data) == ORIGINALS[name], f"{original} changed"
        if name.endswith("sample.txt"):
            data = _cut_master_id(data)
            assert _sha256(data) == want
        assert rendered == data
    assert _sha256(rendered) == want


def test_bundled_cdnow_values() -> None:
    # the values the reference tests rely on, independent of the layout checked above
    sample = load_cdnow("sample")
    assert int((sample["amount"] == 0).sum()) == 8  # eight free purchases, as in the README
    master = load_cdnow("master")
    assert master["amount"].round(2).equals(master["amount"])  # dollars and cents
    assert master.groupby("customer_id")["date"].min().max() <= pd.Timestamp("1997-03-31")  # Q1


def test_loaders_return_fresh_copies() -> None:
    a = load_cdnow("sample")
    a.loc[0, "amount"] = -1.0
    assert load_cdnow("sample").loc[0, "amount"] != -1.0


def test_unknown_dataset_names() -> None:
    with pytest.raises(ValidationError, match="'kind' parameter of load_cdnow"):
        load_cdnow("full")
    with pytest.raises(ValidationError, match="'name' parameter of load_ecsi"):
        load_ecsi("acsi")


def test_make_transactions_is_seeded_and_plausible() -> None:
    a = make_transactions(5000, seed=7)
    b = make_transactions(5000, seed=7)
    c = make_transactions(5000, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["customer_id"].nunique() == 5000
    assert (a["amount"] > 0).all()
    assert a["date"].is_monotonic_increasing  # default order="time"
    s = rfm_summary(a)
    # Heterogeneity: most customers never repeat, a few buy very often (CDNOW-like).
    assert 0.4 < (s["frequency"] == 0).mean() < 0.8
    assert s["frequency"].max() >= 15


def test_make_transactions_recovers_generating_process_roughly() -> None:
    tx = make_transactions(20000, seed=3, observation_days=273, acquisition_days=84)
    s = rfm_summary(tx, time_unit="W")
    # With CDNOW parameters about 1 repeat purchase per customer in 39 weeks, as in CDNOW.
    assert 0.7 < s["frequency"].mean() < 1.4


def test_make_transactions_orders() -> None:
    by_customer = make_transactions(200, seed=1, order="customer")
    assert by_customer["customer_id"].is_monotonic_increasing
    rnd = make_transactions(200, seed=1, order="random")
    cols = ["customer_id", "date", "amount"]
    pd.testing.assert_frame_equal(
        rnd.sort_values(cols).reset_index(drop=True)[cols],
        by_customer.sort_values(cols).reset_index(drop=True)[cols],
    )


def test_make_transactions_rejects_bad_counts() -> None:
    with pytest.raises(ValidationError, match="n_customers"):
        make_transactions(0, seed=1)
    with pytest.raises(ValidationError, match="acquisition_days"):
        make_transactions(10, seed=1, acquisition_days=100, observation_days=50)


def test_make_transactions_time_order_past_65535_days() -> None:
    # Sorting on day.astype(uint16) wrapped day 65,536 to 0 and broke the time order.
    tx = make_transactions(200, seed=1, acquisition_days=70_000, observation_days=70_000)
    assert tx["date"].max() > pd.Timestamp("2020-01-01") + pd.Timedelta(days=65_536)
    assert tx["date"].is_monotonic_increasing


def test_make_transactions_rejects_dates_beyond_datetime64_ns() -> None:
    # 200,000 days from 2020 used to wrap around to dates in 1679 without a word.
    with pytest.raises(ValidationError, match=r"\(200000 days from start='2020-01-01'\)"):
        make_transactions(5, seed=1, acquisition_days=200_000, observation_days=200_000)
    with pytest.raises(ValidationError, match=r"do not fit in datetime64\[ns\]"):
        make_transactions(5, seed=1, start="2262-01-01")
    with pytest.raises(ValidationError, match=r"do not fit in datetime64\[ns\]"):
        make_survey(5, seed=1, start="2262-04-01", days=30)


@pytest.mark.parametrize("start", ["nope", "2024-13-01", None])
def test_generators_reject_a_bad_start(start: str | None) -> None:
    with pytest.raises(ValidationError, match="'start' parameter of make_transactions"):
        make_transactions(5, seed=1, start=start)  # type: ignore[arg-type]
    if start is not None:
        with pytest.raises(ValidationError, match="'start' parameter of make_survey"):
            make_survey(5, seed=1, start=start)


def test_make_survey_structure() -> None:
    s = make_survey(2000, seed=1, start="2024-01-01")
    assert len(s) == 2000
    assert s["recommend"].between(0, 10).all()
    assert s["csat"].between(1, 5).all()
    items = s.filter(regex=r"^(imag|expe|qual|val|sat|loy)\d$")
    assert items.shape[1] == 18
    assert items.min().min() >= 1
    assert items.max().max() <= 10
    # Items correlate within a block and across blocks through the latent paths.
    assert s[["sat1", "sat2"]].corr().iloc[0, 1] > 0.5
    assert s[["sat1", "loy1"]].corr().iloc[0, 1] > 0.2
    assert s["date"].between(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")).all()


def test_make_survey_customer_ids() -> None:
    s = make_survey(100, seed=1, customer_ids=np.arange(1000, 2000))
    assert s["customer_id"].between(1000, 1999).all()
    assert s["customer_id"].is_unique


def test_generators_seed_none_by_default() -> None:
    # one rule for randomness (CONTRIBUTING glossary): seed: int | None = None everywhere
    fresh = make_transactions(50)  # fresh entropy, still valid data
    assert fresh["customer_id"].nunique() == 50
    assert len(make_survey(10)) == 10
    assert make_transactions(50, seed=4).equals(make_transactions(50, seed=4))


@pytest.mark.parametrize("seed", ["a", -1, 1.5, True])
def test_seeds_are_validated(seed: object) -> None:
    for make in (
        lambda: make_transactions(5, seed=seed),  # type: ignore[arg-type]
        lambda: make_survey(5, seed=seed),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError, match=r"'seed' parameter of make_.* non-negative"):
            make()


def test_survey_ids_must_be_scalars() -> None:
    with pytest.raises(ValidationError, match="customer_ids passed to make_survey"):
        make_survey(5, seed=1, customer_ids=[[1], [2]])
    assert make_survey(5, seed=1, customer_ids=[7, 8])["customer_id"].dtype == np.int64


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
def test_requests_beyond_memory_are_refused_up_front() -> None:
    from custloyalty.datasets import make_interactions

    with pytest.raises(ValidationError, match=r"would generate about .* transactions"):
        make_transactions(10**12, seed=1)
    with pytest.raises(ValidationError, match="larger alpha"):
        make_transactions(5, seed=1, alpha=1e-300)
    with pytest.raises(ValidationError, match="interactions"):
        make_interactions(3, seed=1, mean_interactions=1e12)
    with pytest.raises(ValidationError, match="answers"):
        make_survey(10**8, seed=1)


def test_survey_ids_keep_their_type_and_nested_ids_are_refused() -> None:
    from custloyalty.datasets import make_interactions

    ids = make_survey(20, seed=1, customer_ids=[1, None, 3])["customer_id"]
    assert ids.dtype == np.int64
    assert set(ids) == {1, 3}
    with pytest.raises(ValidationError, match="one-dimensional sequence of scalar ids"):
        make_interactions(seed=1, customer_ids=[[1], [2]])

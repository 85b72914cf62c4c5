"""Pareto curve of total spend from the summary of a polars LazyFrame (or pandas), CDNOW."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.plotting import plot_pareto_curve

tx = load_cdnow("master")
try:
    import polars as pl

    frame = pl.from_pandas(tx).lazy()  # aggregated inside polars, per customer-day
except ImportError:
    frame = tx
summary = cl.rfm_summary(frame, observation_end="1998-06-30")
plot_pareto_curve(summary["total_amount"])

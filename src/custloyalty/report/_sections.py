"""The built-in report sections, in report order; each is one small registered function."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from custloyalty._stats import wilson_interval
from custloyalty.errors import ValidationError
from custloyalty.report._context import ECSI_PATHS, ReportContext, nps_value
from custloyalty.report._figures import figure_svg
from custloyalty.report._registry import esc, figures, items, paragraph, section, table

#: Inactivity (weeks) after which the survival curve counts a customer as churned.
SURVIVAL_THRESHOLD_WEEKS = 26
#: Customers sampled for the calibration vs holdout check (the fit does not need more).
CHECK_SAMPLE = 25_000
#: Respondents sampled for the key-driver PLS model.
PLS_SAMPLE = 50_000
_Z = 1.959963984540054


@dataclass(frozen=True, slots=True)
class KPI:
    """One headline figure: label, value, interval and a short explanation (all text)."""

    label: str
    value: str
    interval: str
    detail: str


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0
    return m, m - _Z * se, m + _Z * se


def _recommend_column(ctx: ReportContext) -> str | None:
    col = "recommend"
    sc = ctx.scorecard
    if sc is not None:
        for ind in getattr(sc, "indicators", []):
            if ind.name == "recommendation":
                col = str(ind.options.get("column", col))
    sv = ctx.scored_surveys()
    if sv is None or col not in sv or not sv[col].notna().any():
        return None
    return col


def _satisfaction_items(ctx: ReportContext) -> list[str]:
    sv = ctx.scored_surveys()
    if sv is None:
        return []
    wanted: list[str] = ctx.item_blocks().get("SAT", [])
    sc = ctx.scorecard
    if sc is not None:
        for ind in getattr(sc, "indicators", []):
            if ind.name == "satisfaction" and "items" in ind.options:
                wanted = [str(c) for c in ind.options["items"]]
    return [c for c in wanted if c in sv.columns]


def kpis(ctx: ReportContext) -> list[KPI]:
    """Headline figures with 95 % intervals: NPS, satisfaction, churn, repeat rate, spend."""
    from custloyalty.metrics import nps, satisfaction_index

    out: list[KPI] = []
    cust = ctx.customers
    n = len(cust)
    out.append(
        KPI(
            "Customers",
            f"{n:,}",
            f"to {ctx.observation_end.date()}",
            f"{int(cust['answered_survey'].sum()) if 'answered_survey' in cust else 0:,} "
            "answered a survey",
        )
    )
    col = _recommend_column(ctx)
    sv = ctx.scored_surveys()
    if col is not None and sv is not None:
        res = nps(sv[col], nan_policy="omit")
        out.append(
            KPI(
                "Net Promoter Score",
                f"{nps_value(res):+.1f}",
                f"95% CI {res.ci[0]:+.1f} to {res.ci[1]:+.1f}",
                f"{res.n:,} ratings; scale -100 to +100",
            )
        )
    sat = _satisfaction_items(ctx)
    if sat and sv is not None:
        si = satisfaction_index(sv[sat], columns=sat, scale=(1, 10), nan_policy="omit")
        _, lo, hi = _mean_ci(si.per_respondent.to_numpy(dtype=np.float64))
        out.append(
            KPI(
                "Satisfaction index",
                f"{si.overall:.1f}",
                f"95% CI {lo:.1f} to {hi:.1f}",
                f"{si.n:,} respondents; 0-100",
            )
        )
    if "churn_risk" in cust:
        m, lo, hi = _mean_ci(cust["churn_risk"].to_numpy(dtype=np.float64))
        model = ctx.churn_model()
        name = getattr(model, "_model_name", "") or "model"
        out.append(
            KPI(
                "Churn risk",
                f"{m:.1%}",
                f"95% CI {lo:.1%} to {hi:.1%}",
                f"mean 1 - P(alive), {name}",
            )
        )
    if "purchase_days" in cust and n:
        p = float((cust["purchase_days"].to_numpy() > 1).mean())
        lo, hi = wilson_interval(p * n, n, 0.95)
        out.append(
            KPI(
                "Repeat-purchase rate",
                f"{p:.1%}",
                f"95% CI {lo:.1%} to {hi:.1%}",
                "bought on two days or more",
            )
        )
    if "total_spend" in cust:
        m, lo, hi = _mean_ci(cust["total_spend"].to_numpy(dtype=np.float64))
        out.append(
            KPI(
                "Mean spend",
                f"{m:,.2f}",
                f"95% CI {lo:,.2f} to {hi:,.2f}",
                "per customer, whole window",
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
@section("headline", "Headline figures")
def headline(ctx: ReportContext) -> str | None:
    """KPI band: each headline figure with its 95 % confidence interval."""
    cards = "".join(
        f'<div class="kpi"><div class="kpi-label">{esc(k.label)}</div>'
        f'<div class="kpi-value">{esc(k.value)}</div>'
        f'<div class="kpi-ci">{esc(k.interval)}</div>'
        f'<div class="kpi-detail">{esc(k.detail)}</div></div>'
        for k in kpis(ctx)
    )
    return f'<div class="kpis">{cards}</div>'


@section("composite", "Loyalty index and tiers")
def composite(ctx: ReportContext) -> str | None:
    """Distribution of the composite index with the tier cut-offs, and the tier sizes."""
    from custloyalty.plotting import plot_composite_distribution, plot_tiers

    cust = ctx.customers
    if "composite" not in cust or "tier" not in cust:
        return None
    tiers = cust["tier"]
    labels = [str(c) for c in tiers.cat.categories] if hasattr(tiers, "cat") else None
    th = ctx.tier_thresholds()
    if labels is not None and len(th) != len(labels) - 1:
        th, labels = [], None
    left = figure_svg(
        lambda ax: plot_composite_distribution(
            cust["composite"], thresholds=th, labels=labels, ax=ax
        ),
        label="Histogram of the composite loyalty index",
    )
    spend = cust.get("total_spend")
    right = figure_svg(
        lambda ax: plot_tiers(tiers, values=spend, ax=ax), label="Customers and value per tier"
    )
    frame = pd.DataFrame({"tier": tiers, "composite": cust["composite"]})
    if spend is not None:
        frame["spend"] = spend
    g = frame.groupby("tier", observed=False)
    tab = pd.DataFrame({"customers": g.size()})
    tab["% of customers"] = 100 * tab["customers"] / max(len(frame), 1)
    tab["mean index"] = g["composite"].mean()
    if spend is not None:
        tab["% of spend"] = 100 * g["spend"].sum() / float(frame["spend"].sum() or 1.0)
        tab["mean spend"] = g["spend"].mean()
    tab.index.name = "tier"
    return (
        paragraph(
            "Each customer's composite loyalty index (0-100) combines the normalised indicators "
            "with the weights below; tiers cut the index at the dashed lines."
        )
        + figures(left, right)
        + table(
            tab,
            formats={
                "customers": ",.0f",
                "% of customers": ".1f",
                "mean index": ".1f",
                "% of spend": ".1f",
                "mean spend": ",.2f",
            },
        )
    )


@section("weights", "Weights and contributions")
def weights(ctx: ReportContext) -> str | None:
    """Show the indicator weights and their mean contribution (points) to the composite."""
    from custloyalty.plotting import plot_weights

    w = ctx.result.weights
    fig = figure_svg(
        lambda ax: plot_weights(w, contributions=ctx.result.customers, ax=ax),
        label="Indicator weights and contributions",
    )
    return paragraph(
        "A weight is the share of the composite an indicator can move; its contribution is "
        "the points it adds to the average customer's index (the contributions add up to "
        "the mean index)."
    ) + figures(fig)


@section("recommendation", "Recommendation (NPS)")
def recommendation(ctx: ReportContext) -> str | None:
    """Distribution of the 0-10 ratings and the NPS of each loyalty tier."""
    from custloyalty.metrics import nps_by
    from custloyalty.plotting import plot_nps_by_segment, plot_nps_distribution

    col = _recommend_column(ctx)
    sv = ctx.scored_surveys()
    if col is None or sv is None:
        return None
    ratings = sv[col]
    left = figure_svg(
        lambda ax: plot_nps_distribution(ratings, nan_policy="omit", ax=ax),
        label="Distribution of recommendation ratings",
    )
    parts = [left]
    if "tier" in ctx.customers:
        tiers = ctx.customers["tier"].reindex(sv["customer_id"].to_numpy())
        frame = pd.DataFrame({"tier": tiers.to_numpy(), "recommend": ratings.to_numpy()}).dropna()
        if isinstance(tiers.dtype, pd.CategoricalDtype):
            frame["tier"] = pd.Categorical(frame["tier"], dtype=tiers.dtype)
        if len(frame):
            by = nps_by(frame, by="tier", rating="recommend", interval="adjusted_wald")
            by = by[by["n"] > 0]
            if isinstance(tiers.dtype, pd.CategoricalDtype):  # best tier first
                by = by.reindex([c for c in tiers.dtype.categories if c in by.index])
            parts.append(
                figure_svg(lambda ax: plot_nps_by_segment(by, ax=ax), label="NPS by loyalty tier")
            )
    return paragraph(
        "Promoters rate 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % "
        "detractors. The right panel splits respondents by their loyalty tier."
    ) + figures(*parts)


@section("drivers", "Satisfaction key drivers")
def drivers(ctx: ReportContext) -> str | None:
    """Importance-performance map from a PLS path model of the ECSI item blocks."""
    from custloyalty.metrics import pls_path_model
    from custloyalty.plotting import plot_key_drivers

    blocks = ctx.item_blocks()
    if "SAT" not in blocks or ctx.surveys is None:
        return None
    paths = {
        t: [p for p in preds if p in blocks]
        for t, preds in ECSI_PATHS.items()
        if t in blocks and any(p in blocks for p in preds)
    }
    if "SAT" not in paths or len(paths["SAT"]) < 2:
        return None
    used = sorted({*paths, *(p for v in paths.values() for p in v)}, key=list(blocks).index)
    cols = [c for b in used for c in blocks[b]]
    data = ctx.surveys[cols].dropna()
    if len(data) > PLS_SAMPLE:
        data = data.sample(PLS_SAMPLE, random_state=0)
    if len(data) < 30:
        return None
    res = pls_path_model(data, paths=paths, blocks={b: blocks[b] for b in used})
    table_ = res.key_drivers("SAT", scale=(1, 10))
    fig = figure_svg(
        lambda ax: plot_key_drivers(table_, target="SAT", ax=ax),
        label="Importance-performance map of satisfaction drivers",
    )
    tab = table_[["direct", "indirect", "total", "performance"]]
    return (
        paragraph(
            f"A PLS path model (ECSI structure, {res.n:,} respondents) gives each construct's "
            "total effect on satisfaction (importance) and its 0-100 index (performance). "
            "Drivers in the lower right matter most and perform worst: improve them first."
        )
        + figures(fig)
        + table(
            tab,
            formats=dict.fromkeys(["direct", "indirect", "total"], ".3f") | {"performance": ".1f"},
        )
    )


def _cohort_period(ctx: ReportContext) -> str:
    assert ctx.transactions is not None
    first = ctx.transactions["date"].min()
    months = (ctx.observation_end.year - first.year) * 12 + ctx.observation_end.month - first.month
    return "M" if months <= 30 else "Q" if months <= 120 else "Y"


@section("retention", "Cohort retention")
def retention(ctx: ReportContext) -> str | None:
    """Share of each acquisition cohort active in each later period."""
    from custloyalty.metrics import cohort_retention
    from custloyalty.plotting import plot_cohort_retention

    if ctx.transactions is None:
        return None
    period = _cohort_period(ctx)
    res = cohort_retention(ctx.transactions, period=period, observation_end=ctx.observation_end)
    height = min(6.0, 2.0 + 0.28 * len(res.rates))
    fig = figure_svg(
        lambda ax: plot_cohort_retention(res, ax=ax),
        width=9.0,
        height=height,
        label="Cohort retention heat map",
    )
    return paragraph(
        "Each row is the cohort of customers whose first purchase fell in that period "
        "(size in brackets); each cell the % of them who bought in the period that many "
        "periods later. Cells after the end of the window are blank."
    ) + figures(fig)


@section("survival", "Customer survival")
def survival(ctx: ReportContext) -> str | None:
    """Kaplan-Meier curve of customer lifetimes."""
    from custloyalty.metrics import survival_curve
    from custloyalty.plotting import plot_survival

    summary = ctx.rfm_summary()
    if summary is None:
        return None
    res = survival_curve(summary, threshold=SURVIVAL_THRESHOLD_WEEKS, time_unit="W")
    fig = figure_svg(lambda ax: plot_survival(res, ax=ax), label="Customer survival curve")
    if not np.isfinite(res.median):
        median = "more than half of the customers are still active at the end of the curve"
    elif res.median == 0:
        median = "more than half of the customers never bought again after their first day"
    else:
        median = f"half of the customers stop within {res.median:g} weeks of their first purchase"
    return paragraph(
        f"A customer counts as lost after {SURVIVAL_THRESHOLD_WEEKS} weeks without a "
        f"purchase ({res.n_events:,} lost, {res.n_censored:,} still active); {median}. "
        "The drop at zero is the one-time buyers who never came back."
    ) + figures(fig)


@section("rfm", "RFM segments")
def rfm(ctx: ReportContext) -> str | None:
    """Recency x frequency grid with customers and revenue, and the named RFM segments."""
    from custloyalty.plotting import plot_rfm_segments
    from custloyalty.segmentation import rfm_scores, rfm_segments

    summary = ctx.rfm_summary()
    if summary is None:
        return None
    scores = rfm_scores(summary)
    revenue = summary["total_amount"].to_numpy(dtype=np.float64)
    fig = figure_svg(
        lambda ax: plot_rfm_segments(scores, revenue=revenue, ax=ax),
        width=6.4,
        height=4.4,
        label="RFM grid",
    )
    seg = rfm_segments(scores)
    frame = pd.DataFrame({"segment": seg.to_numpy(), "revenue": revenue})
    g = frame.groupby("segment", observed=True)["revenue"]
    tab = pd.DataFrame({"customers": g.size(), "revenue": g.sum()})
    tab["% of customers"] = 100 * tab["customers"] / len(frame)
    tab["% of revenue"] = 100 * tab["revenue"] / float(revenue.sum() or 1.0)
    tab = tab.drop(columns="revenue").sort_values("% of revenue", ascending=False)
    tab.index.name = "segment"
    return (
        paragraph(
            "Scores 1-5 by quintile: R on the days since the last purchase (5 = most recent), "
            "F on the number of purchases, M on total spend. Each cell gives its customers and "
            "its share of revenue; the table names the segments."
        )
        + f'<div class="split">{figures(fig)}'
        + table(tab, formats={"customers": ",.0f", "% of customers": ".1f", "% of revenue": ".1f"})
        + "</div>"
    )


@section("value", "Value concentration")
def value(ctx: ReportContext) -> str | None:
    """Pareto curve of spend with the ABC tiers."""
    from custloyalty.plotting import plot_pareto_curve
    from custloyalty.segmentation import value_tiers

    cust = ctx.customers
    if "total_spend" not in cust:
        return None
    spend = cust["total_spend"].clip(lower=0)
    if not spend.sum() > 0:
        return None
    fig = figure_svg(lambda ax: plot_pareto_curve(spend, ax=ax), label="Pareto curve of spend")
    tiers = value_tiers(spend)
    frame = pd.DataFrame({"tier": tiers, "spend": spend})
    g = frame.groupby("tier", observed=False)["spend"]
    tab = pd.DataFrame({"customers": g.size(), "mean spend": g.mean()})
    tab["% of customers"] = 100 * tab["customers"] / len(frame)
    tab["% of spend"] = 100 * g.sum() / float(spend.sum())
    tab.index.name = "ABC tier"
    return (
        paragraph(
            "Customers ranked by total spend: tier A brings the first 80 % of revenue, B the "
            "next 15 %, C the last 5 %."
        )
        + f'<div class="split">{figures(fig)}'
        + table(
            tab,
            formats={
                "customers": ",.0f",
                "mean spend": ",.2f",
                "% of customers": ".1f",
                "% of spend": ".1f",
            },
        )
        + "</div>"
    )


VALUE_POTENTIAL_SAMPLE = 5000
"""Most customers the value x potential section fits its models on (a seeded sample above)."""


@section("value_potential", "Value and potential", after="value")
def value_potential(ctx: ReportContext) -> str | None:
    """Value x potential grid (customers per cell and its action).

    The scored result's own tiers when its scorecard has them (every scored customer, on the
    cut-offs the scorecard learned at fit); otherwise a BG/NBD and Gamma-Gamma fit on the
    transactions (a seeded sample of :data:`VALUE_POTENTIAL_SAMPLE` customers above it).
    """
    from custloyalty.plotting import plot_value_potential

    res = getattr(ctx.result, "value_potential", None)
    if res is not None:
        n = int(res.counts.to_numpy().sum())
        split = "at the quantiles of the customers the scorecard was fitted on"
        who = f"every scored customer ({n:,}), with the scorecard's fitted models"
    else:
        fallback = _value_potential_refit(ctx)
        if fallback is None:
            return None
        res, who = fallback
        split = "at the medians"
    fig = figure_svg(lambda ax: plot_value_potential(res, ax=ax), label="Value x potential grid")
    return paragraph(
        esc(
            f"Current value (total spend in the window) against potential (predicted "
            f"{res.horizon}-month customer lifetime value from "
            f"{_MODEL_LABELS.get(res.model, res.model)} and Gamma-Gamma), "
            f"split {split}; each cell names its action. Computed on {who}."
        )
    ) + figures(fig)


#: How the transaction models are named in prose.
_MODEL_LABELS = {"bg_nbd": "BG/NBD", "pareto_nbd": "Pareto/NBD"}


def _value_potential_refit(ctx: ReportContext) -> tuple[Any, str] | None:
    """Fit the grid here on (a sample of) the transactions; return it and whom it covers."""
    from custloyalty.segmentation import value_potential_tiers

    tx = ctx.transactions
    if tx is None or tx.empty:
        return None
    ids = pd.Index(tx["customer_id"].unique())
    sampled = len(ids) > VALUE_POTENTIAL_SAMPLE
    if sampled:
        keep = ids.to_series().sample(VALUE_POTENTIAL_SAMPLE, random_state=0)
        tx = tx[tx["customer_id"].isin(keep)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = value_potential_tiers(tx, observation_end=ctx.observation_end)
        except (ValidationError, ValueError, np.linalg.LinAlgError) as exc:
            ctx.notes.append(f"Value and potential left out: {str(exc).splitlines()[0]}")
            return None
    for w in caught:
        ctx.notes.append(f"Value and potential: {str(w.message).splitlines()[0]}")
    n = int(res.counts.to_numpy().sum())
    who = (
        f"a random sample of {n:,} of the {len(ids):,} customers" if sampled else f"{n:,} customers"
    )
    return res, who


@section("migration", "Tier migration")
def migration(ctx: ReportContext) -> str | None:
    """Movements between the previous period's tiers and this one's (when ``previous`` is given)."""
    from custloyalty.plotting import plot_tier_migration
    from custloyalty.segmentation import tier_migration

    if ctx.previous is None or "tier" not in ctx.customers:
        return None
    now = ctx.customers["tier"]
    order = [str(c) for c in now.cat.categories] if hasattr(now, "cat") else None
    prev = ctx.previous.astype(object).where(ctx.previous.notna(), None).dropna().astype(str)
    try:
        res = tier_migration(prev, now.astype(object).dropna().astype(str), order=order)
    except ValidationError as exc:  # its words are tier_migration's (before=, order=)
        bad = sorted(set(prev.unique()) - set(order or []))
        if not bad:
            raise
        msg = (
            f"The 'previous' tiers hold labels {bad[:5]!r} that are not tiers of this period "
            f"{order!r}.\nHint: compare periods scored with the same tier labels (the same "
            "fitted scorecard), or leave 'previous' out."
        )
        raise ValidationError(msg) from exc
    fig = figure_svg(
        lambda ax: plot_tier_migration(res, ax=ax), width=7.0, height=4.4, label="Tier migration"
    )
    return paragraph(
        f"{res.n_unchanged:,} customers kept their tier, {res.n_upgrades:,} moved up, "
        f"{res.n_downgrades:,} moved down, {res.n_churned:,} of the previous period did "
        f"not buy in this window and {res.n_new:,} are new."
    ) + figures(fig)


def _calibration_check(ctx: ReportContext) -> tuple[str, str] | None:
    from custloyalty.models import BetaGeo, calibration_holdout
    from custloyalty.plotting import plot_calibration_holdout
    from custloyalty.summary import rfm_summary

    tx = ctx.transactions
    if tx is None:
        return None
    start = tx["date"].min().normalize()
    end = ctx.observation_end
    cal_end = start + (end - start) / 2
    if (end - cal_end).days < 28:
        return None
    ids = tx["customer_id"].unique()
    if len(ids) > CHECK_SAMPLE:
        rng = np.random.default_rng(0)
        ids = rng.choice(ids, CHECK_SAMPLE, replace=False)
        tx = tx[tx["customer_id"].isin(ids)]
    s = rfm_summary(tx, calibration_end=cal_end.date(), observation_end=end.date(), time_unit="W")
    # BG/NBD is refitted for the check whatever the churn model: its predictions are very close
    # to Pareto/NBD's (Fader, Hardie & Lee 2005) and it fits in a fraction of the time (a
    # Pareto/NBD refit takes ~20 s and can wander off on small bases)
    fitted = BetaGeo().fit(s)
    frame = calibration_holdout(fitted, s)
    name = BetaGeo._model_name
    svg = figure_svg(
        lambda ax: plot_calibration_holdout(frame, model_name=name, ax=ax),
        label="Calibration vs holdout",
    )
    text = (
        f"{name} refitted on the first half of the window (to {cal_end.date()}, "
        f"{len(s):,} customers) predicts each group's purchases in the second half: the closer "
        "the two lines, the better a buy-till-you-die model describes these customers."
    )
    return svg, text


@section("models", "Model checks")
def models(ctx: ReportContext) -> str | None:
    """Calibration vs holdout of the churn model, and its P(alive) matrix."""
    from custloyalty.plotting import plot_p_alive_matrix

    parts: list[str] = []
    texts: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check = _calibration_check(ctx)
        if check is not None:
            parts.append(check[0])
            texts.append(check[1])
        model = ctx.churn_model()
        summary = ctx.rfm_summary()
        if model is not None:
            t_weeks = float(np.median(summary["T"]) / 7.0) if summary is not None else 39.0
            t_weeks = max(1.0, round(t_weeks))
            f_max = 20
            if summary is not None and len(summary):
                f_max = int(np.clip(np.quantile(summary["frequency"], 0.99), 5, 30))
            parts.append(
                figure_svg(
                    lambda ax: plot_p_alive_matrix(
                        model, max_frequency=f_max, T=t_weeks, time_unit="W", ax=ax
                    ),
                    label="P(alive) matrix",
                )
            )
            texts.append(
                f"The churn indicator's {model._model_name} gives each customer's probability "
                f"of still being active; shown for customers first seen {t_weeks:g} weeks "
                "before the end of the window."
            )
    for w in caught:
        ctx.notes.append(f"Model check: {w.category.__name__}: {str(w.message).splitlines()[0]}")
    if not parts:
        return None
    return paragraph(esc(" ".join(texts))) + figures(*parts)


@section("data_quality", "Data quality")
def data_quality(ctx: ReportContext) -> str | None:
    """Rows dropped, survey answers without transactions and other notes."""
    lines: list[str] = []
    summary = ctx.rfm_summary()
    if summary is not None:
        rep = summary.attrs.get("custloyalty", {})
        lines.append(f"{int(rep.get('n_transactions', 0)):,} transaction rows read.")
        after = int(rep.get("n_excluded_after_observation_end", 0))
        if after:
            lines.append(
                f"{after:,} rows after the observation end ({ctx.observation_end.date()}) left out."
            )
        omitted = int(rep.get("n_omitted_missing", 0))
        if omitted:
            lines.append(f"{omitted:,} rows with missing values dropped.")
    s = ctx.summary
    if ctx.surveys is not None:
        # counted here, not read from the summary: a result scored without surveys has None
        scored = ctx.scored_surveys()
        matched = 0 if scored is None else len(scored)
        respondents = 0 if scored is None else int(scored["customer_id"].nunique())
        lines.append(f"{len(ctx.surveys):,} survey answers from {respondents:,} scored customers.")
        unmatched = len(ctx.surveys) - matched
        if unmatched:
            lines.append(
                f"{unmatched:,} survey answers without transactions (their customer id is not "
                "among the customers) are left out."
            )
    untiered = int(s.get("customers_without_tier") or 0)
    if untiered:
        lines.append(f"{untiered:,} customers have no composite index and no tier.")
    if ctx.interactions is not None:
        lines.append(f"{len(ctx.interactions):,} interaction rows given.")
    lines.extend(ctx.notes)
    return items(esc(line) for line in lines) if lines else None


@section("method", "Method")
def method(ctx: ReportContext) -> str | None:
    """Observation window, indicators with their normalisation, weighting and tiers."""
    lines: list[str] = []
    if ctx.transactions is not None:
        start = ctx.transactions["date"].min().date()
        lines.append(f"Observation window: {start} to {ctx.observation_end.date()} (inclusive).")
    else:
        lines.append(f"Observation end: {ctx.observation_end.date()}.")
    sc = ctx.scorecard
    w = ctx.result.weights
    rows = []
    for name in w.index:
        norm: Any = getattr(sc, "normalisers_", {}).get(name) if sc is not None else None
        # a fitted Normaliser (method, direction), or its saved dict
        spec = norm.to_dict() if hasattr(norm, "to_dict") else norm
        spec = spec if isinstance(spec, Mapping) else {}
        rows.append(
            {
                "indicator": name,
                "direction": str(spec.get("direction", "")),
                "normalisation": str(spec.get("method", "")),
                "weight": 100 * float(w[name]),
            }
        )
    tab = pd.DataFrame(rows).set_index("indicator")
    if sc is not None:
        cfg = sc.config
        weighting = cfg.weighting if isinstance(cfg.weighting, str) else "fixed"
        lines.append(
            f"Weighting: {weighting}; normalisation onto [0, 1] by {cfg.normalisation} unless "
            "stated per indicator; customers without survey answers: "
            f"{cfg.missing}."
        )
        tiers = cfg.tiers
        if "shares" in tiers:
            shares = ", ".join(
                f"{lab} {100 * s:.0f}%"
                for lab, s in zip(tiers["labels"], tiers["shares"], strict=True)
            )
            lines.append(f"Tiers by share of customers, best first: {shares}.")
        else:
            lines.append(f"Tiers by fixed composite cut-offs {tiers['thresholds']}.")
    lines.append(
        "Composite index: 100 x weighted mean of the normalised indicators a customer has "
        "(weights renormalised over them)."
    )
    lines.append(
        "Intervals: NPS normal approximation of the multinomial shares; satisfaction index, "
        "churn risk and mean spend: mean +/- 1.96 standard errors over customers (model "
        "parameter uncertainty not included); repeat-purchase rate: Wilson interval."
    )
    lines.append(
        f"Survival: a customer is lost after {SURVIVAL_THRESHOLD_WEEKS} weeks without a "
        "purchase (Kaplan-Meier, Greenwood band). RFM: quintile scores. Value tiers: ABC "
        "(80/15/5 % of spend)."
    )
    return items(esc(line) for line in lines) + table(tab, formats={"weight": ".1f"})


@section("over_time", "Loyalty over time", after="migration")
def over_time(ctx: ReportContext) -> str | None:
    """KPI series per period with the alerts (when ``over_time=`` is given)."""
    from custloyalty.plotting import plot_over_time

    res = ctx.over_time
    if res is None:
        return None
    fig = figure_svg(lambda ax: plot_over_time(res, ax=ax), label="Loyalty over time")
    k = res.kpis
    cols = [
        c for c in ("customers", "active", "composite_mean", "churn_rate", "nps", "psi") if c in k
    ]
    tab = k[cols].copy()
    tab.index.name = "period"
    alerts = res.alerts
    text = (
        f"The scorecard per {res.period} period, weights "
        + ("refitted every period" if res.refit else f"frozen at {res.reference}")
        + f"; {len(alerts)} significant change(s) at level {res.alpha:g} (red triangles)."
    )
    out = (
        paragraph(esc(text))
        + figures(fig)
        + table(
            tab,
            formats={
                "customers": ",.0f",
                "active": ",.0f",
                "composite_mean": ".1f",
                "churn_rate": ".3f",
                "nps": ".1f",
                "psi": ".3f",
            },
        )
    )
    if len(alerts):
        out += items([esc(str(m)) for m in alerts["message"].head(10)])
    return out


@section("programme", "Programme effect", after="over_time")
def programme(ctx: ReportContext) -> str | None:
    """Difference-in-differences effect per outcome with its placebo (when ``programme=``)."""
    from custloyalty.plotting import plot_programme_effect

    res = ctx.programme
    if res is None:
        return None
    n = len(res.effects)

    def draw(ax: object) -> object:
        fig = ax.figure  # type: ignore[attr-defined]
        fig.delaxes(ax)
        return plot_programme_effect(res, ax=fig.subplots(n, 1, squeeze=False)[:, 0])

    fig = figure_svg(draw, height=1.3 + 1.1 * n, label="Programme effect")
    cols = [c for c in ("estimate", "ci_low", "ci_high") if c in res.effects]
    tab = res.effects[cols].copy()
    tab.index.name = "outcome"
    return (
        paragraph(
            esc(
                f"Effect of the programme launched {res.launch.date()} ({res.method}): members "
                f"against non-members, {res.confidence:.0%} customer-bootstrap intervals; the "
                "placebo (a fake launch in the pre window) should cover zero."
            )
        )
        + figures(fig)
        + table(tab, formats=dict.fromkeys(cols, ".3f"))
    )

"""``custloyalty demo``: the evaluation on the bundled CDNOW and ECSI data."""

from __future__ import annotations

from typing import Any

import pandas as pd

from custloyalty import __version__

__all__ = ["base_block", "run_demo"]


def _rule(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def _overview_transactions(name: str, tx: pd.DataFrame) -> str:
    lines = [
        _rule(f"{name}: transactions"),
        f"rows            {len(tx):>12,}",
        f"customers       {tx['customer_id'].nunique():>12,}",
        f"first purchase  {tx['date'].min():%Y-%m-%d}",
        f"last purchase   {tx['date'].max():%Y-%m-%d}",
        f"revenue         {tx['amount'].sum():>12,.2f}",
        f"items           {tx['quantity'].sum():>12,}",
    ]
    return "\n".join(lines)


def _overview_survey(name: str, survey: pd.DataFrame) -> str:
    items = survey.select_dtypes("number")
    lines = [
        _rule(f"{name}: survey"),
        f"respondents     {len(survey):>12,}",
        f"items           {items.shape[1]:>12,}",
        f"answer range    {int(items.min().min())}..{int(items.max().max())}",
        f"mean answer     {items.to_numpy().mean():>12.2f}",
    ]
    return "\n".join(lines)


def _summary_block(summary: pd.DataFrame) -> str:
    rep = summary.attrs.get("custloyalty", {})
    desc = summary[["frequency", "recency", "T", "monetary"]].describe().T
    desc = desc[["mean", "std", "min", "50%", "max"]].round(2)
    repeat = float((summary["frequency"] > 0).mean())
    lines = [
        _rule(
            f"Customer summary (observation end {rep.get('observation_end')}, "
            f"unit {rep.get('time_unit')})"
        ),
        desc.to_string(),
        f"repeat-purchase rate  {repeat:.1%}",
        f"total repeat purchases {int(summary['frequency'].sum()):,}",
    ]
    return "\n".join(lines)


def _tiers_block(result: Any, n: int = 3) -> str:
    lines = [_rule("Top customers of each tier")]
    names = ("purchase_days", "total_spend", "days_since_last_purchase", "churn_risk")
    cols = [c for c in names if c in result.customers]
    for tier in result.customers["tier"].cat.categories:
        top = result.top(tier, n)[[*cols, "composite"]].round(3)
        for c in ("purchase_days", "days_since_last_purchase"):  # counts of days
            if c in top:
                top[c] = top[c].round().astype("Int64")
        lines.append(f"{tier}:\n{top.to_string()}")
    return "\n".join(lines)


def base_block(title: str, summary: Any, weights: pd.Series) -> str:
    """Print a :class:`~custloyalty.scorecard.ScorecardSummary` (field order), rounded."""
    lines = [_rule(title)]
    figures = summary.to_dict()  # ScorecardSummary, unrounded: rounded here, for print
    figures["observation_end"] = str(summary.observation_end.date())
    score = figures.get("nps")
    if score is not None:
        low, high = score["ci"]
        figures["nps"] = f"{score['statistic']:.2f} [{low:.2f}, {high:.2f}]"
    for k, v in figures.items():
        if v is None:
            continue
        if k == "tier_sizes":
            v = ", ".join(f"{t} {c:,}" for t, c in v.items())
        elif k == "value_potential_counts":  # value level / potential level
            v = ", ".join(f"{a}/{b} {n:,}" for a, row in v.items() for b, n in row.items())
        elif isinstance(v, bool):
            v = str(v)
        elif isinstance(v, int):
            v = f"{v:,}"
        elif isinstance(v, float):
            v = f"{v:.4g}"
        lines.append(f"{k:<36} {v}")
    lines.append("weights: " + ", ".join(f"{k} {v:.3f}" for k, v in weights.items()))
    return "\n".join(lines)


def _survey_block() -> str:
    from custloyalty.datasets import load_ecsi
    from custloyalty.metrics import cronbach_alpha, pls_path_model

    ecsi = load_ecsi("satisfaction")
    blocks = {
        k.upper(): [c for c in ecsi.columns if c.startswith(k)]
        for k in ("imag", "expe", "qual", "val", "sat", "loy")
    }
    paths = {
        "EXPE": ["IMAG"],
        "QUAL": ["EXPE"],
        "VAL": ["EXPE", "QUAL"],
        "SAT": ["IMAG", "EXPE", "QUAL", "VAL"],
        "LOY": ["IMAG", "SAT"],
    }
    pls = pls_path_model(ecsi, paths=paths, blocks=blocks, scaled=False)
    table = pls.path_coefficients
    arr = table.to_numpy(dtype=float)
    rows, cols = list(table.index), list(table.columns)

    def pc(to: str, frm: str) -> float:
        return float(arr[rows.index(to), cols.index(frm)])

    alpha = cronbach_alpha(ecsi[blocks["SAT"]])
    lines = [
        _rule("ECSI satisfaction survey: PLS path model (plspm settings)"),
        f"SAT <- VAL {pc('SAT', 'VAL'):.6f}   SAT <- IMAG {pc('SAT', 'IMAG'):.6f}   "
        f"LOY <- SAT {pc('LOY', 'SAT'):.6f}",
        f"R2(SAT) {pls.r_squared['SAT']:.6f}   "
        f"satisfaction index {pls.index('SAT', scale=(0, 10)):.1f} / 100",
        f"Cronbach alpha (sat items) {alpha.alpha:.3f}",
    ]
    return "\n".join(lines)


def _models_block(cal: pd.DataFrame) -> str:
    from custloyalty.models import BetaGeo, GammaGamma, ParetoNBD

    bg = BetaGeo().fit(cal)
    pn = ParetoNBD().fit(cal)
    gg = GammaGamma().fit(cal[cal["frequency"] > 0])

    def fmt(params: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.3f}" for k, v in params.items())

    return "\n".join(
        [
            _rule("Churn and value models: CDNOW sample, 39-week calibration"),
            f"BG/NBD      {fmt(bg.params_)}   LL {bg.log_likelihood_:.2f}",
            f"Pareto/NBD  {fmt(pn.params_)}   LL {pn.log_likelihood_:.2f}",
            f"Gamma-Gamma {fmt(gg.params_)}   ({int(gg.n_obs_)} repeat customers)",
        ]
    )


def _tiering_block(master: pd.DataFrame) -> str:
    from custloyalty.segmentation import rfm_scores, rfm_segments, value_tiers
    from custloyalty.summary import rfm_summary

    summary = rfm_summary(master, observation_end="1998-06-30")
    segments = rfm_segments(rfm_scores(summary)).value_counts()
    tiers = value_tiers(summary["total_amount"])
    revenue = summary["total_amount"].groupby(tiers, observed=False).sum()
    share = (revenue / revenue.sum()).round(3)
    lines = [_rule("Client tiering: CDNOW master, RFM segments (default preset)")]
    lines += [f"{name:<22} {count:>6,}" for name, count in segments.items()]
    lines.append(
        "ABC value tiers: "
        + ", ".join(
            f"{t} {int((tiers == t).sum()):,} customers / {share[t]:.1%} of revenue"
            for t in share.index
        )
    )
    return "\n".join(lines)


def run_demo() -> str:
    """Run the evaluation on the bundled data and return the printed report."""
    from custloyalty.datasets import load_cdnow, load_ecsi, make_survey
    from custloyalty.scorecard import LoyaltyScorecard
    from custloyalty.summary import rfm_summary

    out = [f"custloyalty {__version__}: demo on the bundled CDNOW and ECSI data"]
    master = load_cdnow("master")
    sample = load_cdnow("sample")
    out.append(_overview_transactions("CDNOW master", master))
    out.append(_overview_transactions("CDNOW 1/10 sample", sample))
    out.append(_overview_survey("ECSI satisfaction", load_ecsi("satisfaction")))
    out.append(_overview_survey("ECSI mobi", load_ecsi("mobi")))
    cal = rfm_summary(sample, observation_end="1997-09-30", time_unit="W")
    out.append(_summary_block(cal))
    out.append(_models_block(cal))
    out.append(_tiering_block(master))
    out.append(_survey_block())
    surveys = make_survey(4000, seed=7, customer_ids=master["customer_id"].unique())
    card = LoyaltyScorecard()
    result = card.fit_score(master, surveys, observation_end="1998-06-30")
    out.append(
        base_block(
            "Loyalty scorecard: CDNOW master + 4,000 synthetic survey answers",
            result.summary,
            result.weights,
        )
    )
    out.append(_tiers_block(result))
    return "\n".join(out)

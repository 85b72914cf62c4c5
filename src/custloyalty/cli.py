"""Command-line interface: ``custloyalty demo`` and ``custloyalty score``.

Errors a user can fix (a missing or unreadable file, a bad configuration value, a bad column:
:class:`~custloyalty.errors.CustLoyaltyError`, ``OSError`` and ``ValueError``) are printed as one
line on stderr with exit status 2, without a traceback; any other exception is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from custloyalty import __version__
from custloyalty.errors import CustLoyaltyError, ValidationError

__all__ = ["main"]


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
        lines.append(f"{tier}:\n{top.to_string()}")
    return "\n".join(lines)


def _base_block(title: str, summary: Any, weights: pd.Series) -> str:
    lines = [_rule(title)]
    figures = summary.to_dict()  # ScorecardSummary, unrounded: rounded here, for print
    figures["observation_end"] = str(summary.observation_end.date())
    score = figures.pop("nps", None)
    if score is not None:
        figures["nps"] = f"{score['score']:.2f} [{score['ci'][0]:.2f}, {score['ci'][1]:.2f}]"
    for k, v in figures.items():
        if v is None:
            continue
        if k == "tier_sizes":
            v = ", ".join(f"{t} {c:,}" for t, c in v.items())
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
        _base_block(
            "Loyalty scorecard: CDNOW master + 4,000 synthetic survey answers",
            result.summary,
            result.weights,
        )
    )
    out.append(_tiers_block(result))
    return "\n".join(out)


def _existing(path: str, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        msg = f"{what} file not found: {path}"
        raise FileNotFoundError(msg)
    return p


def _reason(exc: BaseException) -> str:
    """One line saying why a file could not be read."""
    if isinstance(exc, pd.errors.EmptyDataError):
        return "the file is empty"
    if isinstance(exc, UnicodeDecodeError):
        return f"not a UTF-8 text file ({exc.reason} at byte {exc.start})"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


_PARQUET_EXTRA = "Parquet files need pyarrow: pip install 'custloyalty[parquet]'"
_YAML_EXTRA = (
    "YAML configs need PyYAML: pip install 'custloyalty[yaml]', or use a TOML or JSON config"
)


def _read_table(path: str, what: str) -> pd.DataFrame:
    p = _existing(path, what)
    suffix = "".join(p.suffixes[-2:]).lower()
    try:
        if suffix.endswith((".parquet", ".pq")):
            df = pd.read_parquet(p)
        elif suffix.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
            df = pd.read_csv(p, sep="\t" if ".tsv" in suffix else ",")
        else:
            msg = f"cannot read {what} file {path}: use .csv, .csv.gz, .tsv or .parquet"
            raise ValidationError(msg)
    except ImportError as exc:
        msg = f"cannot read {what} file {path}: {_PARQUET_EXTRA}"
        raise ValidationError(msg) from exc
    except ValidationError:
        raise
    except (OSError, ValueError) as exc:  # parser errors, bad encodings, corrupt Parquet
        msg = f"cannot read {what} file {path}: {_reason(exc)}"
        raise ValidationError(msg) from exc
    if len(df) == 0:
        msg = f"cannot read {what} file {path}: it has no rows"
        raise ValidationError(msg)
    return df


def _yaml_error(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return _reason(exc)


def _read_config(path: str) -> dict[str, Any]:
    p = _existing(path, "config")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        msg = f"cannot read config file {path}: {_reason(exc)}"
        raise ValidationError(msg) from exc
    suffix = p.suffix.lower()
    kind = suffix.lstrip(".").upper() if suffix in (".toml", ".yaml", ".yml") else "JSON"
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            try:
                import yaml  # type: ignore[import-untyped]
            except ImportError as exc:
                msg = f"cannot read config file {path}: {_YAML_EXTRA}"
                raise ValidationError(msg) from exc
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                msg = f"cannot read config file {path}: not valid YAML: {_yaml_error(exc)}"
                raise ValidationError(msg) from exc
        else:
            data = json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        msg = f"cannot read config file {path}: not valid {kind}: {_reason(exc)}"
        raise ValidationError(msg) from exc
    if not isinstance(data, dict):
        msg = f"config file {path} must hold a table/mapping at the top level"
        raise ValidationError(msg)
    section = data.get("scorecard", data)
    if not isinstance(section, dict):
        msg = f"config file {path}: 'scorecard' must be a table/mapping of settings"
        raise ValidationError(msg)
    return dict(section)


def _read_state(path: str) -> dict[str, Any]:
    p = _existing(path, "state")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"cannot read state file {path}: not valid JSON: {_reason(exc)}"
        raise ValidationError(msg) from exc
    except (OSError, ValueError) as exc:
        msg = f"cannot read state file {path}: {_reason(exc)}"
        raise ValidationError(msg) from exc
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        msg = f"cannot read state file {path}: not a scorecard written by --save-state"
        raise ValidationError(msg)
    if not data.get("fitted"):
        msg = f"state file {path} holds no fitted scorecard; write one with --save-state"
        raise ValidationError(msg)
    return data


def _write_table(table: pd.DataFrame, path: str) -> None:
    out = Path(path)
    try:
        if out.suffix.lower() in (".parquet", ".pq"):
            table.to_parquet(out)
        else:
            table.to_csv(out)
    except ImportError as exc:
        msg = f"cannot write output file {path}: {_PARQUET_EXTRA}"
        raise ValidationError(msg) from exc
    except OSError as exc:
        msg = f"cannot write output file {path}: {_reason(exc)}"
        raise ValidationError(msg) from exc


class _Progress:
    def __init__(self, quiet: bool, steps: int) -> None:
        self.quiet, self.steps, self.i, self.t0 = quiet, steps, 0, time.perf_counter()

    def __call__(self, what: str) -> None:
        self.i += 1
        if not self.quiet:
            dt = time.perf_counter() - self.t0
            print(f"[{self.i}/{self.steps} {dt:6.1f}s] {what}", file=sys.stderr, flush=True)


def _parse_dates(tx: pd.DataFrame, column: Any, date_format: str) -> pd.DataFrame:
    """Parse the purchase dates with an explicit format (``--date-format``)."""
    from custloyalty import _frames

    _frames.require_columns(tx, [column], name="transactions")
    dates, _ = _frames.coerce_datetime(tx[column], column, date_format=date_format)
    tx[column] = dates  # the CLI's own frame, read from the file
    return tx


def run_score(args: argparse.Namespace) -> str:
    """Fit (or load) a scorecard, score the transactions, write the table, return the summary."""
    from custloyalty.scorecard import LoyaltyScorecard

    progress = _Progress(args.quiet, 5)
    progress(f"reading {args.transactions}")
    tx = _read_table(args.transactions, "transactions")
    surveys = None
    if args.surveys:
        progress(f"reading {args.surveys}")
        surveys = _read_table(args.surveys, "surveys")
    else:
        progress("no surveys given: transaction indicators only")
    columns = {
        k: v
        for k, v in {
            "customer": args.customer,
            "time": args.time,
            "amount": args.amount,
            "survey_customer": args.survey_customer,
        }.items()
        if v is not None
    }
    if args.load_state:
        progress(f"loading fitted scorecard {args.load_state}")
        card = LoyaltyScorecard.from_dict(_read_state(args.load_state))
    else:
        config = _read_config(args.config) if args.config else {}
        config.update(columns)
        card = LoyaltyScorecard.from_dict(config)
    if args.date_format:
        tx = _parse_dates(tx, card.time, args.date_format)
    if not args.load_state:
        progress(f"fitting {card!r}")
        card.fit(tx, surveys, observation_end=args.observation_end)
    progress("scoring customers")
    result = card.score(tx, surveys, observation_end=args.observation_end)
    if args.save_state:
        try:
            Path(args.save_state).write_text(card.to_json(), encoding="utf-8")
        except OSError as exc:
            msg = f"cannot write state file {args.save_state}: {_reason(exc)}"
            raise ValidationError(msg) from exc
    table = result.customers.copy()
    table["tier"] = table["tier"].astype("string")  # customers without a tier stay missing
    if args.output:
        _write_table(table, args.output)
        progress(f"wrote {len(table):,} customers to {args.output}")
    else:
        progress("no --output given: per-customer table not written")
    return _base_block("Loyalty scorecard", result.summary, result.weights)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custloyalty",
        description="Customer-loyalty evaluation from transactions and surveys.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the evaluation on the bundled CDNOW and ECSI data")
    score = sub.add_parser(
        "score",
        help="score customers from a transactions file (CSV or Parquet)",
        description="Fit a loyalty scorecard and score every customer: writes the "
        "per-customer table and prints the base summary.",
    )
    score.add_argument("transactions", help="transactions file (.csv, .csv.gz, .tsv, .parquet)")
    score.add_argument("--surveys", help="survey answers file, one row per answer")
    score.add_argument("--config", help="scorecard configuration (.toml, .json, .yaml)")
    score.add_argument("-o", "--output", help="per-customer table to write (.csv or .parquet)")
    score.add_argument("--observation-end", help="end of the observation window (YYYY-MM-DD)")
    score.add_argument("--customer", help="customer id column (default customer_id)")
    score.add_argument("--time", help="purchase date column (default date)")
    score.add_argument("--amount", help="purchase value column (default amount)")
    score.add_argument("--survey-customer", help="customer id column of the surveys")
    score.add_argument(
        "--date-format",
        help="format of the purchase dates, e.g. %%d/%%m/%%Y (default: inferred, one format "
        "for the whole column, ISO 8601 as fallback)",
    )
    score.add_argument("--save-state", help="write the fitted scorecard to this JSON file")
    score.add_argument("--load-state", help="score with a fitted scorecard saved earlier")
    score.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``custloyalty`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            print(run_demo())
        elif args.command == "score":
            print(run_score(args))
    except (CustLoyaltyError, OSError, ValueError) as exc:
        # errors a user can fix; anything else is a bug and keeps its traceback
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        print(f"custloyalty: error: {first}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

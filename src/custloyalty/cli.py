"""Command-line interface: ``custloyalty demo`` and ``custloyalty score``.

Errors a user can fix (a missing file, a bad column) are printed as one line on stderr with exit
status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from custloyalty import __version__
from custloyalty.errors import CustLoyaltyError

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


def run_demo() -> str:
    """Run the evaluation on the bundled data and return the printed report."""
    from custloyalty.datasets import load_cdnow, load_ecsi
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
    return "\n".join(out)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custloyalty",
        description="Customer-loyalty evaluation from transactions and surveys.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the evaluation on the bundled CDNOW and ECSI data")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``custloyalty`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            print(run_demo())
    except (CustLoyaltyError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"custloyalty: error: {first}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

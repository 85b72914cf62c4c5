"""Command-line interface: ``custloyalty demo``, ``score`` and ``report``.

Exit status 0 on success; 2 for an error a user can fix (a missing or unreadable file, a bad
configuration value, a bad column, an output that would overwrite an input), printed on stderr
as ``custloyalty: error: ...`` followed by the error's ``Hint:`` lines, without a traceback; 130
after Ctrl-C, with one line on stderr. Any other exception is a bug and keeps its traceback.

The user's data are kept as they are: customer ids are read from text files as text and
written back exactly (``00042`` stays ``00042``); outputs are written to a temporary file in
the target folder and moved into place, so an error or Ctrl-C leaves the previous file intact;
no output may be an input; the output folders and the optional packages a run needs are
checked before any work; dates on the command line are ISO 8601 unless ``--date-format`` says
otherwise; floating-point numbers in CSV/TSV tables have 10 significant digits. Warnings are
printed one line each, without source paths.

Nothing given is silently ignored: an empty file argument (``-o "$OUT"`` with ``OUT`` unset),
``--config`` together with ``--load-state``, ``--interactions`` that no indicator uses,
settings outside a config's ``[scorecard]`` section, a key given twice (config or state) and a
table header naming a column twice are errors; a config's or state's byte-order mark is
skipped. An output that is a symbolic link is written through it; an existing read-only output
is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import re
import sys
import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from custloyalty import __version__
from custloyalty._progress import steps
from custloyalty.cli._demo import base_block, run_demo
from custloyalty.cli._files import (
    FLOAT_FORMAT,
    REPORT_EXTRA,
    TABLE_SUFFIXES,
    check_extras,
    check_paths,
    check_suffix,
    read_config,
    read_state,
    read_table,
    same_id_type,
    write_output,
    write_table,
    write_text,
)
from custloyalty.errors import CustLoyaltyError, ValidationError

__all__ = ["main", "run_demo"]

#: library keyword -> command-line flag, for the hints of our errors
FLAGS = {
    "survey_customer": "--survey-customer-col",
    "interaction_customer": "--interaction-customer-col",
    "customer": "--customer-col",
    "time": "--time-col",
    "amount": "--amount-col",
    "date_format": "--date-format",
    "observation_end": "--observation-end",
    "surveys": "--surveys FILE",
    "interactions": "--interactions FILE",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DIGITS = FLOAT_FORMAT.removeprefix("%.").removesuffix("g")


# ------------------------------------------------------------------------ messages
def _column_flag(column: str, table: str, roles: Mapping[str, Hashable]) -> str | None:
    """Return the flag that names ``column`` of ``table`` (``None`` when no role uses it)."""
    orders = {"surveys": ["survey_customer"], "interactions": ["interaction_customer"]}
    order = orders.get(table, ["customer", "time", "amount"])
    for role in order:
        if role in roles and repr(roles[role]) == column:
            return FLAGS[role]
    return None


def cli_message(text: str, roles: Mapping[str, Hashable] | None = None) -> str:
    """Rewrite the Python advice of an error message into command-line flags.

    ``roles`` maps ``customer``, ``time``, ``amount``, ``survey_customer`` and
    ``interaction_customer`` to the columns in use, so that "did you mean 'CustomerID'? Pass
    the column name as a keyword argument" names the flag to give.

    >>> print(cli_message("Hint: pass nan_policy='omit' to drop these rows."))
    Hint: remove these rows from the file (the command line does not drop them).
    >>> hint = "parse the column first with pd.to_datetime(df['day'], format='%d/%m/%Y')."
    >>> cli_message(hint)
    "pass --date-format '%d/%m/%Y'."
    >>> cli_message("pass surveys= (or interactions=).")
    'pass --surveys FILE (or --interactions FILE).'
    """
    roles = roles or {}
    found = re.search(r"Column (.+?) not found in (\w+)", text)
    if found:
        flag = _column_flag(found.group(1), found.group(2), roles)
        close = re.search(
            r"did you mean (.+?)\? Pass the column name as a keyword argument\.", text
        )
        if close:
            advice = (
                f"give it with {flag} {close.group(1)}" if flag else "give it with the --*-col flag"
            )
            text = text.replace(
                close.group(0), f"did you mean {close.group(1)}? {advice[0].upper()}{advice[1:]}."
            )
    text = re.sub(
        r"parse the column first with pd\.to_datetime\(df\[[^\]]*\], format=('[^']*'|\.\.\.)\)",
        lambda m: (
            "pass --date-format "
            + ("with the dates' format" if m.group(1) == "..." else m.group(1))
        ),
        text,
    )
    text = text.replace(
        "pass nan_policy='omit' to drop these rows.",
        "remove these rows from the file (the command line does not drop them).",
    )
    text = re.sub(r"\b(surveys|interactions)=( ?)", lambda m: FLAGS[m.group(1)] + m.group(2), text)
    return re.sub(
        r"\b(survey_customer|interaction_customer|customer|time|amount|date_format"
        r"|observation_end)= ?",
        lambda m: FLAGS[m.group(1)] + " ",
        text,
    )


def _error_lines(exc: BaseException, roles: Mapping[str, Hashable]) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError) and len(exc.args) == 1:  # str() of a KeyError quotes it
        text = str(exc.args[0])
    first, *rest = cli_message(text, roles).splitlines()
    return "\n".join([f"custloyalty: error: {first}", *rest])


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning as one line, without the source path and line of the library."""
    text = " ".join(str(message).split())
    print(f"custloyalty: warning: {category.__name__}: {text}", file=file or sys.stderr)


def _note(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(f"custloyalty: {text}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ shared steps
def _observation_end(value: str | None, date_format: str | None) -> pd.Timestamp | None:
    """``--observation-end``: in ``--date-format`` when given, else ISO 8601 only."""
    if date_format is not None:
        from custloyalty import _frames

        try:
            _frames.check_date_format(date_format, func="custloyalty")
        except ValidationError:
            msg = (
                f"--date-format {date_format!r} is not a valid date format\n"
                "Hint: use strftime directives, e.g. --date-format %d/%m/%Y, or ISO8601."
            )
            raise ValidationError(msg) from None
    if value is None:
        return None
    if date_format:
        try:
            return pd.Timestamp(pd.to_datetime(value, format=date_format))
        except (ValueError, TypeError):
            pass  # an ISO date is never ambiguous: accept it too
    try:
        if not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(value)  # pandas' ISO 8601 reading also takes 1998/06/30
        return pd.Timestamp(pd.to_datetime(value.strip(), format="ISO8601"))
    except (ValueError, TypeError) as exc:
        msg = f"--observation-end {value!r} is not an ISO 8601 date (YYYY-MM-DD)"
        if date_format:
            msg += f" and does not match --date-format {date_format!r}"
        else:
            msg += (
                "\nHint: write it as YYYY-MM-DD, e.g. 1998-06-30; dates such as 01/06/1998 are "
                "ambiguous and read only with their format, e.g. --date-format %d/%m/%Y."
            )
        raise ValidationError(msg) from exc


def _progress(args: argparse.Namespace) -> bool:
    """Show a progress bar with ``--progress`` or when stderr is a terminal, never with ``-q``."""
    if args.quiet:
        return False
    return bool(args.progress) or sys.stderr.isatty()


def _accepts(func: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def _columns(args: argparse.Namespace) -> dict[str, str]:
    given = {
        "customer": args.customer,
        "time": args.time,
        "amount": args.amount,
        "survey_customer": args.survey_customer,
        "interaction_customer": args.interaction_customer,
    }
    return {k: v for k, v in given.items() if v is not None}


@contextlib.contextmanager
def _naming_the_file(what: str | None) -> Iterator[None]:
    """Prefix a ValidationError of the scorecard's settings or state with the file it is in."""
    try:
        yield
    except ValidationError as exc:
        if what is None:
            raise
        text = re.sub(r"^LoyaltyScorecard(?:\.from_dict)?:? ", "", str(exc))
        msg = f"{what}: {text}"
        raise ValidationError(msg) from exc


def _scorecard(args: argparse.Namespace) -> Any:
    """Build the scorecard of ``--config`` (or ``--load-state``) with the column flags applied."""
    from custloyalty.scorecard import LoyaltyScorecard

    columns = _columns(args)
    args.roles = dict(columns)
    if getattr(args, "load_state", None):
        if args.config:
            msg = (
                f"--config {args.config} would be ignored: a scorecard loaded with --load-state "
                "keeps the settings it was fitted with\nHint: drop --config to score with the "
                "saved scorecard, or drop --load-state to fit one with these settings."
            )
            raise ValidationError(msg)
        state = read_state(args.load_state)
        config = {**state["config"], **columns}
        if "customer" in columns and "interaction_customer" not in columns:
            config["interaction_customer"] = columns["customer"]
        with _naming_the_file(f"state file {args.load_state}"):
            card = LoyaltyScorecard.from_dict({**state, "config": config})
    else:
        config = read_config(args.config) if args.config else {}
        config.update(columns)
        if "interaction_customer" not in config:  # the interactions' ids: as the transactions'
            config["interaction_customer"] = config.get("customer", "customer_id")
        with _naming_the_file(f"config file {args.config}" if args.config else None):
            card = LoyaltyScorecard.from_dict(config)
    cfg = card.config
    args.roles = {
        k: getattr(cfg, k)
        for k in ("customer", "time", "amount", "survey_customer", "interaction_customer")
    }
    return card


def _inputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    pairs = [("transactions", args.transactions)]
    for role in ("surveys", "interactions", "config", "load_state"):
        value = getattr(args, role, None)
        if value:
            pairs.append((role.replace("_", " "), value))
    return pairs


def _read_inputs(
    args: argparse.Namespace, card: Any
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    cfg = card.config
    tx = read_table(args.transactions, "transactions", id_column=cfg.customer)
    surveys = interactions = None
    if args.surveys:
        surveys = read_table(args.surveys, "surveys", id_column=cfg.survey_customer)
    if args.interactions:
        interactions = read_table(
            args.interactions, "interactions", id_column=cfg.interaction_customer
        )
    same_id_type(
        [
            (tx, cfg.customer),
            (surveys, cfg.survey_customer),
            (interactions, cfg.interaction_customer),
        ]
    )
    return tx, surveys, interactions


def _parse_dates(tx: pd.DataFrame, column: Hashable, date_format: str) -> pd.DataFrame:
    """Parse the purchase dates with an explicit format (``--date-format``)."""
    from custloyalty import _frames

    _frames.require_columns(tx, [column], name="transactions")
    dates, _ = _frames.coerce_datetime(tx[column], column, date_format=date_format)
    tx[column] = dates  # the CLI's own frame, read from the file
    return tx


_AFTER_FIT = re.compile(r"(\d+) transactions fall after the fitted observation_end (\S+?),")


_NONE_BEFORE = re.compile(r"every transaction falls after the fitted observation_end (\S+?),")


def _later_window(exc: ValidationError, args: argparse.Namespace) -> ValidationError:
    """One line naming ``--observation-end`` for purchases after a loaded state's window."""
    if args.observation_end is not None or not args.load_state:
        return exc
    none = _NONE_BEFORE.search(str(exc))
    if none:  # every purchase is later: not a --observation-end the user gave
        msg = (
            f"every transaction falls after {none.group(1)}, the end of the window the state "
            f"in {args.load_state} was fitted on; pass --observation-end YYYY-MM-DD to score "
            "a later window"
        )
        return ValidationError(msg)
    found = _AFTER_FIT.search(str(exc))
    if not found:
        return exc
    n, end = found.groups()
    msg = (
        f"{int(n):,} transactions fall after {end}, the end of the window the state in "
        f"{args.load_state} was fitted on; pass --observation-end YYYY-MM-DD to score a "
        "later window"
    )
    return ValidationError(msg)


def _uses_interactions(card: Any, path: str) -> None:
    """Refuse ``--interactions`` when no indicator of the scorecard reads them (ignored)."""
    from custloyalty.metrics import get as get_metric

    users = [
        i.name
        for i in card.config.indicators
        if i.source == "interactions" or "interactions" in get_metric(i.name).inputs
    ]
    if not users:
        msg = (
            f"--interactions {path} would be ignored: no indicator of the scorecard uses "
            "interactions\nHint: add the 'engagement' indicator to the config, or drop "
            "--interactions."
        )
        raise ValidationError(msg)


# ------------------------------------------------------------------------ commands
def run_score(args: argparse.Namespace) -> str:
    """Fit (or load) a scorecard, score the transactions, write the outputs, return the summary."""
    outputs = []
    if args.output:
        check_suffix(args.output, "--output", TABLE_SUFFIXES, "table")
        outputs.append(("--output", args.output))
    if args.save_state:
        check_suffix(args.save_state, "--save-state", (".json",), "state")
        outputs.append(("--save-state", args.save_state))
    inputs = _inputs(args)
    check_paths(inputs, outputs)
    check_extras([p for _, p in [*inputs, *outputs]])
    observation_end = _observation_end(args.observation_end, args.date_format)
    card = _scorecard(args)
    if args.interactions:
        _uses_interactions(card, args.interactions)
    show = _progress(args)
    labels = ["read", "score" if args.load_state else "fit and score", "write"]
    with steps(labels, enabled=show, desc="custloyalty score") as step:
        step("read")
        tx, surveys, interactions = _read_inputs(args, card)
        if args.date_format:
            tx = _parse_dates(tx, card.config.time, args.date_format)
        method = card.score if args.load_state else card.fit_score
        options: dict[str, Any] = {"observation_end": observation_end}
        if interactions is not None:
            if not _accepts(method, "interactions"):
                msg = "--interactions: this version of the scorecard does not use interactions"
                raise ValidationError(msg)
            options["interactions"] = interactions
        if show and _accepts(method, "progress"):
            options["progress"] = True  # its steps (inputs, fit, score) under this bar
        step(labels[1])
        try:
            result = method(tx, surveys, **options)
        except ValidationError as exc:
            raise _later_window(exc, args) from exc
        step("write")
        if args.save_state:
            write_text(card.to_json(), args.save_state, "--save-state")
        if args.output:
            write_table(result.customers, args.output, "--output")
    if args.save_state:
        _note(args, f"wrote the fitted scorecard to {args.save_state}")
    if args.output:
        _note(args, f"wrote {len(result.customers):,} customers to {args.output}")
    else:
        _note(args, "no --output given: per-customer table not written")
    return base_block("Loyalty scorecard", result.summary, result.weights)


def run_report(args: argparse.Namespace) -> str:
    """Write the HTML loyalty report of ``custloyalty.report.write_report``."""
    check_suffix(args.output, "--output", (".html", ".htm"), "report")
    inputs = _inputs(args)
    check_paths(inputs, [("--output", args.output)])
    check_extras([p for _, p in inputs], report=True)
    observation_end = _observation_end(args.observation_end, args.date_format)
    card = _scorecard(args)
    try:  # imported by name: the report module is optional at import time
        write_report = importlib.import_module("custloyalty.report").write_report
    except ImportError as exc:
        msg = f"cannot write the report: {exc}"
        raise ValidationError(msg) from exc
    show = _progress(args)
    # one bar at a time: reading the files, then the report's own bar (scoring, sections)
    with steps(["read"], enabled=show, desc="custloyalty report: read") as step:
        step("read")
        tx, surveys, interactions = _read_inputs(args, card)

    def write(tmp: Path) -> None:
        write_report(
            tmp,
            tx,
            surveys,
            interactions=interactions,
            scorecard=card,
            observation_end=observation_end,
            date_format=args.date_format,
            progress=show,
        )

    write_output(args.output, "--output", write, extra=REPORT_EXTRA)
    _note(args, f"wrote the report to {args.output}")
    return f"report: {args.output}"


# ------------------------------------------------------------------------ parser
def _file(value: str) -> str:
    """Check a file argument: an empty one (``-o "$UNSET"``) is refused, not read as absent."""
    if not value.strip():
        msg = "an empty file name was given (an unset shell variable?)"
        raise argparse.ArgumentTypeError(msg)
    return value


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "transactions", type=_file, help="transactions file (.csv, .csv.gz, .tsv, .parquet)"
    )
    p.add_argument(
        "--surveys", metavar="FILE", type=_file, help="survey answers file, one row per answer"
    )
    p.add_argument(
        "--interactions",
        metavar="FILE",
        type=_file,
        help="interactions file (customer id, timestamp, channel, kind, ...), one row per contact",
    )
    p.add_argument(
        "--config", metavar="FILE", type=_file, help="scorecard configuration (.toml, .json, .yaml)"
    )
    p.add_argument(
        "--observation-end",
        metavar="DATE",
        help="end of the observation window, ISO 8601 (YYYY-MM-DD), or in --date-format",
    )
    p.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="format of the purchase dates and of --observation-end, e.g. %%d/%%m/%%Y "
        "(default: inferred, one format for the whole column, ISO 8601 as fallback)",
    )
    p.add_argument(
        "--customer-col",
        "--customer",
        dest="customer",
        metavar="COLUMN",
        help="customer id column (default customer_id); ids are read as text",
    )
    p.add_argument(
        "--time-col",
        "--time",
        dest="time",
        metavar="COLUMN",
        help="purchase date column (default date)",
    )
    p.add_argument(
        "--amount-col",
        "--amount",
        dest="amount",
        metavar="COLUMN",
        help="purchase value column (default amount)",
    )
    p.add_argument(
        "--survey-customer-col",
        "--survey-customer",
        dest="survey_customer",
        metavar="COLUMN",
        help="customer id column of the surveys (default customer_id)",
    )
    p.add_argument(
        "--interaction-customer-col",
        "--interaction-customer",
        dest="interaction_customer",
        metavar="COLUMN",
        help="customer id column of the interactions (default: the transactions' one)",
    )
    p.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on stderr (default: only when stderr is a terminal)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no notes")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custloyalty",
        description="Customer-loyalty evaluation from transactions, surveys and interactions.",
        epilog="Outputs are never an input, are written to a temporary file and moved into "
        "place, and keep customer ids exactly as read. Exit status: 0 done, 2 error, "
        "130 interrupted.",
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
    _add_inputs(score)
    score.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=_file,
        help="per-customer table to write: .csv, .csv.gz or .tsv (floating-point numbers "
        f"with {_DIGITS} significant digits, format {FLOAT_FORMAT.replace('%', '%%')}) or "
        ".parquet (needs pyarrow)",
    )
    score.add_argument(
        "--save-state",
        metavar="FILE",
        type=_file,
        help="write the fitted scorecard to this .json file",
    )
    score.add_argument(
        "--load-state",
        metavar="FILE",
        type=_file,
        help="score with a fitted scorecard saved earlier",
    )
    report = sub.add_parser(
        "report",
        help="write a self-contained HTML loyalty report",
        description="Evaluate the customers and write one HTML file (figures inline, no "
        "network request) to hand over.",
    )
    _add_inputs(report)
    report.add_argument(
        "-o", "--output", required=True, metavar="FILE", type=_file, help="report to write (.html)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``custloyalty`` console script."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], str]] = {
        "demo": lambda _: run_demo(),
        "score": lambda a: run_score(a),
        "report": lambda a: run_report(a),
    }
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            print(commands[args.command](args))
        except KeyboardInterrupt:
            print(
                "custloyalty: interrupted; the file being written was left as it was",
                file=sys.stderr,
            )
            return 130
        except (CustLoyaltyError, OSError, ValueError) as exc:
            # errors a user can fix; anything else is a bug and keeps its traceback
            print(_error_lines(exc, getattr(args, "roles", {})), file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""Build the report: score, run the sections, assemble one self-contained HTML page."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from custloyalty import _frames
from custloyalty._output import atomic_path, real_target, refuse_read_only
from custloyalty._progress import check_enabled, steps
from custloyalty._window import Window, observe
from custloyalty.errors import CustLoyaltyError, PluginError, ValidationError
from custloyalty.report._context import ReportContext
from custloyalty.report._registry import SectionSpec, esc, selected

__all__ = ["build_report", "render", "write_report"]

_CSS = """
:root{--ink:#1d2733;--muted:#5b6875;--line:#e3e8ee;--bg:#f5f7fa;--card:#fff;
--primary:#1f4e79;--accent:#e07a1f;--good:#2a9d8f;--bad:#d1495b;
--font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",
"Liberation Sans",sans-serif}
*{box-sizing:border-box}
html{font-size:15px}
body{margin:0;background:var(--bg);color:var(--ink);font-family:var(--font);line-height:1.5;
-webkit-font-smoothing:antialiased}
header.top{background:var(--primary);color:#fff;padding:28px 40px 22px}
header.top h1{margin:0 0 4px;font-size:1.75rem;font-weight:650;letter-spacing:-.01em}
header.top .sub{opacity:.85;font-size:.95rem}
nav.toc{background:#fff;border-bottom:1px solid var(--line);padding:8px 40px;position:sticky;
top:0;z-index:2;display:flex;flex-wrap:wrap;gap:2px 18px}
nav.toc a{color:var(--primary);text-decoration:none;font-size:.85rem}
nav.toc a:hover{text-decoration:underline}
main{max-width:1240px;margin:0 auto;padding:24px 40px 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:20px 24px;margin:0 0 20px}
section h2{margin:0 0 8px;font-size:1.2rem;font-weight:650;color:var(--primary)}
section#headline{background:transparent;border:0;padding:0}
section#headline h2{display:none}
p{margin:.2rem 0 .8rem;max-width:80ch}
p.note{color:var(--muted);font-size:.85rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:14px}
.kpi{background:var(--card);border:1px solid var(--line);border-top:4px solid var(--primary);
border-radius:10px;padding:14px 16px}
.kpi-label{font-size:.78rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.kpi-value{font-size:1.9rem;font-weight:700;margin:2px 0;font-variant-numeric:tabular-nums}
.kpi-ci{font-size:.85rem;color:var(--ink);font-variant-numeric:tabular-nums}
.kpi-detail{font-size:.78rem;color:var(--muted)}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px;
align-items:start;margin:8px 0 12px}
.figs.one{grid-template-columns:minmax(0,1fr)}
figure.fig{margin:0;min-width:0}
.fig svg.figure{width:100%;height:auto;display:block;margin:0 auto}
.fig svg.figure text{font-family:var(--font)!important}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:18px;
align-items:start}
.split .figs{margin:0}
table.data{border-collapse:collapse;font-size:.85rem;margin:6px 0 4px;
font-variant-numeric:tabular-nums}
table.data th,table.data td{padding:5px 12px;border-bottom:1px solid var(--line);
text-align:left}
table.data thead th{color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
table.data td.num{text-align:right}
ul{margin:.2rem 0 .8rem;padding-left:1.2rem}
li{margin:.15rem 0}
footer{color:var(--muted);font-size:.8rem;text-align:center;padding:0 0 30px}
@media (max-width:900px){.split{grid-template-columns:1fr}main{padding:16px}
header.top,nav.toc{padding-left:16px;padding-right:16px}.figs{grid-template-columns:1fr}}
@media print{nav.toc{display:none}section{break-inside:avoid}}
"""


def _page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    from custloyalty import __version__

    toc = "".join(f'<a href="#{esc(i)}">{esc(t)}</a>' for i, t, _ in sections if i != "headline")
    body = "".join(
        f'<section id="{esc(i)}"><h2>{esc(t)}</h2>{html}</section>' for i, t, html in sections
    )
    made = _dt.datetime.now(tz=_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f'<header class="top"><h1>{esc(title)}</h1><div class="sub">{esc(subtitle)}</div>'
        f'</header><nav class="toc">{toc}</nav><main>{body}</main>'
        f"<footer>Made with custloyalty {esc(__version__)} on {made}. Self-contained: no "
        "network access needed.</footer></body></html>\n"
    )


def _observe(
    transactions: Any,
    scorecard: Any,
    *,
    observation_end: Any,
    date_format: str | None,
    func: str,
) -> Window:
    """Validate the transactions once, with their rows, in the scorecard's column names."""
    return observe(
        transactions,
        customer=getattr(scorecard, "customer", "customer_id"),
        time=getattr(scorecard, "time", "date"),
        amount=getattr(scorecard, "amount", "amount"),
        observation_end=observation_end,
        date_format=date_format,
        func=func,
        keep_rows=True,
    )


def _canonical(window: Window) -> pd.DataFrame:
    """Return the window's rows in the sections' names (naive dates)."""
    assert window.rows is not None  # observed with keep_rows=True
    canon = window.rows[["customer_id", "date", "amount"]]
    if getattr(canon["date"].dtype, "tz", None) is not None:
        canon = canon.assign(date=canon["date"].dt.tz_localize(None))
    return canon


def _surveys_canonical(surveys: Any, survey_customer: Hashable) -> pd.DataFrame | None:
    if surveys is None:
        return None
    df = _frames.as_frame(surveys, name="surveys")
    _frames.require_columns(df, [survey_customer], name="surveys")
    if survey_customer == "customer_id":
        return df
    return df.drop(columns=["customer_id"], errors="ignore").rename(
        columns={survey_customer: "customer_id"}
    )


def _previous_tiers(previous: Any, scorecard: Any, observation_end: Any) -> pd.Series | None:
    """Tier per customer of the previous period from a result, a Series or transactions."""
    if previous is None:
        return None
    if isinstance(previous, pd.Series):
        return previous
    if hasattr(previous, "customers") and hasattr(previous, "weights"):
        tiers: pd.Series = previous.customers["tier"]
        return tiers
    if isinstance(previous, pd.DataFrame) and scorecard is not None:
        res = scorecard.score(previous)
        out: pd.Series = res.customers["tier"]
        return out
    msg = (
        "previous must be a ScorecardResult of the previous period, a Series of tier labels "
        f"indexed by customer, or that period's transactions; got {type(previous).__name__}."
    )
    raise ValidationError(msg)


def render(
    result: Any,
    /,
    *,
    transactions: Any = None,
    surveys: Any = None,
    interactions: Any = None,
    scorecard: Any = None,
    previous: Any = None,
    over_time: Any = None,
    programme: Any = None,
    title: str | None = None,
    sections: Sequence[str] | None = None,
    progress: bool = False,
) -> str:
    """Return the HTML report of an already computed scorecard result.

    Parameters
    ----------
    result
        A :class:`~custloyalty.scorecard.ScorecardResult`.
    transactions
        The transactions it was scored on, with the scorecard's column names (``customer_id``,
        ``date``, ``amount`` without a scorecard); the cohort, survival, RFM and model-check
        sections need them and are left out without.
    surveys
        Survey answers with the scorecard's survey customer column (``customer_id`` without a
        scorecard), for NPS, satisfaction and key drivers.
    interactions
        Interaction table (counted in the data-quality notes; sections may use it).
    scorecard
        The fitted :class:`~custloyalty.scorecard.LoyaltyScorecard` (tier cut-offs, churn
        model, normalisation); sections that need it are reduced or skipped without.
    previous
        Previous period: a ScorecardResult, or a Series of tier labels by customer, for the
        tier migration section.
    over_time
        An :class:`~custloyalty.monitoring.OverTimeResult` (from
        :func:`~custloyalty.monitoring.evaluate_over_time`): adds the "Loyalty over time"
        section (KPI series, alerts).
    programme
        A :class:`~custloyalty.programme.ProgrammeEffectResult` (from
        :func:`~custloyalty.programme.programme_effect`): adds the "Programme effect" section.
    title
        Page title; default "Customer loyalty report".
    sections
        Ids of the sections to include (see :func:`available_sections`); default all.
    progress
        Show a progress bar (one step per section).

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    ValidationError
        Unknown section ids, invalid transactions or surveys, a ``previous`` of the wrong
        kind, a ``title`` that is not a string, a ``progress`` that is not True / False, or a
        section returning neither an HTML string nor None.
    PluginError
        A registered section failed with an exception other than ours (it is the cause).

    See Also
    --------
    build_report : score and render in one call.

    Examples
    --------
    >>> from custloyalty.datasets import make_transactions
    >>> from custloyalty.report import render
    >>> from custloyalty.scorecard import LoyaltyScorecard
    >>> tx = make_transactions(300, seed=2)
    >>> result = LoyaltyScorecard(["frequency", "monetary", "recency"]).fit_score(tx)
    >>> page = render(result, sections=["headline", "method"])
    >>> page.count("<section"), "Repeat-purchase rate" in page
    (2, True)
    """
    _check_inputs(scorecard, over_time, programme, "render", title)
    check_enabled(progress, "render")
    if not hasattr(result, "customers") or not hasattr(result, "observation_end"):
        msg = (
            "render needs a ScorecardResult (from LoyaltyScorecard.fit_score or score); "
            f"got {type(result).__name__}.\nHint: build_report(transactions) scores and "
            "renders in one call."
        )
        raise ValidationError(msg)
    if isinstance(sections, str):
        msg = f"The 'sections' parameter of render must be a list of section ids; got {sections!r}."
        msg += f"\nHint: sections=[{sections!r}]."
        raise ValidationError(msg)
    specs = selected(sections)
    window = None
    if transactions is not None:
        window = _observe(
            transactions,
            scorecard,
            observation_end=pd.Timestamp(result.observation_end),
            date_format=None,
            func="render",
        )
    sv = _surveys_canonical(surveys, getattr(scorecard, "survey_customer", "customer_id"))
    with steps([s.id for s in specs], enabled=progress, desc="report") as step:
        return _render(
            result,
            specs,
            step,
            window=window,
            surveys=sv,
            interactions=interactions,
            scorecard=scorecard,
            previous=previous,
            over_time=over_time,
            programme=programme,
            title=title,
        )


def _render(
    result: Any,
    specs: Sequence[SectionSpec],
    step: Callable[[str], None],
    *,
    window: Window | None,
    surveys: Any,
    interactions: Any,
    scorecard: Any,
    previous: Any,
    over_time: Any = None,
    programme: Any = None,
    title: str | None,
) -> str:
    """Run the sections (advancing ``step`` once per section) and assemble the page."""
    ctx = ReportContext(
        result=result,
        transactions=None if window is None else _canonical(window),
        window=window,
        surveys=surveys,
        interactions=None if interactions is None else _frames.as_frame(interactions),
        scorecard=scorecard,
        previous=_previous_tiers(previous, scorecard, None),
        over_time=over_time,
        programme=programme,
    )
    out: list[tuple[str, str, str]] = []
    for spec in specs:
        step(spec.id)
        body = _body(spec, ctx)
        if body:
            out.append((spec.id, spec.title, body))
    # the data-quality notes may have grown while later sections ran: rebuild that section
    for k, (sid, stitle, _) in enumerate(out):
        if sid == "data_quality":
            spec = next(s for s in specs if s.id == sid)
            out[k] = (sid, stitle, _body(spec, ctx) or "")
    n = len(ctx.customers)
    span = f"to {ctx.observation_end.date()}"
    if ctx.transactions is not None:
        span = f"{ctx.transactions['date'].min().date()} to {ctx.observation_end.date()}"
    subtitle = f"{n:,} customers, {span}"
    return _page(title or "Customer loyalty report", subtitle, out)


def _body(spec: SectionSpec, ctx: ReportContext) -> str | None:
    """Run one section and check what it returns: the body's HTML, or None to skip it.

    A section failing with anything but our own errors (a plugin's ``KeyError``, say) raises
    :class:`~custloyalty.errors.PluginError` naming the section, the original as its cause.
    """
    try:
        body: Any = spec.func(ctx)  # a plugin's section may return anything
    except CustLoyaltyError:
        raise
    except Exception as exc:
        msg = (
            f"Report section {spec.id!r} failed: {type(exc).__name__}: {exc}\nHint: fix the "
            f"section, or leave it out with remove_section({spec.id!r}) or sections=[...]."
        )
        raise PluginError(msg) from exc
    if body is not None and not isinstance(body, str):
        msg = (
            f"Report section {spec.id!r} returned {type(body).__name__} {body!r:.60}; a "
            "section returns its body as an HTML string, or None to leave the section out."
        )
        raise ValidationError(msg)
    return body


def build_report(
    transactions: Any,
    surveys: Any = None,
    *,
    interactions: Any = None,
    scorecard: Any = None,
    observation_end: Any = None,
    previous: Any = None,
    over_time: Any = None,
    programme: Any = None,
    date_format: str | None = None,
    title: str | None = None,
    progress: bool = False,
) -> str:
    """Score the customers and return the HTML loyalty report as text.

    Parameters
    ----------
    transactions
        One row per purchase with the scorecard's customer, time and amount columns.
    surveys
        Optional survey answers (one row per answer) with the scorecard's survey customer
        column; an ECSI item block (``imag1``, ``sat1``, ...) adds the key-driver section.
    interactions
        Optional interaction table, passed to the scorecard when it accepts one.
    scorecard
        A :class:`~custloyalty.scorecard.LoyaltyScorecard`, fitted (used as is) or not (fitted
        here); default ``LoyaltyScorecard()``.
    observation_end
        End of the observation window (default: the last purchase day).
    previous
        The previous period, for the tier migration section: its transactions (scored with the
        same fitted scorecard), a ScorecardResult, or a Series of tier labels by customer.
    over_time
        An :class:`~custloyalty.monitoring.OverTimeResult` (from
        :func:`~custloyalty.monitoring.evaluate_over_time`): adds the "Loyalty over time"
        section (KPI series, alerts).
    programme
        A :class:`~custloyalty.programme.ProgrammeEffectResult` (from
        :func:`~custloyalty.programme.programme_effect`): adds the "Programme effect" section.
    date_format
        Format of date strings in the transactions (any :func:`pandas.to_datetime` format);
        default inferred, ISO 8601 as the fallback.
    title
        Page title.
    progress
        Show a progress bar.

    Returns
    -------
    str
        A complete HTML page; it loads nothing from the network.

    Raises
    ------
    ValidationError
        Invalid transactions, surveys or options (the message names the column), a
        ``scorecard``, ``over_time`` or ``programme`` of the wrong kind, a ``title`` that is not
        a string or a ``progress`` that is not True / False (before any work).
    PluginError
        A registered section failed with an exception other than ours (it is the cause).

    See Also
    --------
    write_report : the same page written to a file (with an example).
    render : the page of an already scored result.
    """
    from custloyalty.scorecard import LoyaltyScorecard

    sc = LoyaltyScorecard() if scorecard is None else scorecard
    _check_inputs(sc, over_time, programme, "build_report", title)
    check_enabled(progress, "build_report")
    specs = selected(None)
    labels = ["read", "score", *(s.id for s in specs)]
    with steps(labels, enabled=progress, desc="report") as step:
        step("read")
        # the transactions are validated once, into one window that the scorecard and every
        # section read
        window = _observe(
            transactions,
            sc,
            observation_end=observation_end,
            date_format=date_format,
            func="build_report",
        )
        kwargs: dict[str, Any] = {}
        if interactions is not None and _accepts(sc.fit, "interactions"):
            kwargs["interactions"] = interactions
        step("score")
        if hasattr(sc, "weights_"):
            result = sc.score(window, surveys, **kwargs)
        else:
            result = sc.fit_score(window, surveys, **kwargs)
        prev = previous
        if isinstance(previous, pd.DataFrame):
            prev = sc.score(previous, date_format=date_format).customers["tier"]
        return _render(
            result,
            specs,
            step,
            window=window,
            surveys=_surveys_canonical(surveys, sc.config.survey_customer),
            interactions=interactions,
            scorecard=sc,
            previous=prev,
            over_time=over_time,
            programme=programme,
            title=title,
        )


def _check_inputs(
    scorecard: Any, over_time: Any, programme: Any, func: str, title: Any = None
) -> None:
    """Refuse an object of the wrong kind before any work (the sections would fail later)."""
    if title is not None and not isinstance(title, str):
        msg = (
            f"The 'title' parameter of {func} must be a string or None; got {type(title).__name__}."
        )
        raise ValidationError(msg)
    wrong = []
    if scorecard is not None and not hasattr(scorecard, "fit_score"):
        wrong.append(("scorecard", "a LoyaltyScorecard", scorecard))
    if over_time is not None and not hasattr(over_time, "kpis"):
        wrong.append(("over_time", "an OverTimeResult (monitoring.evaluate_over_time)", over_time))
    if programme is not None and not hasattr(programme, "effects"):
        wrong.append(("programme", "a ProgrammeEffectResult (programme_effect)", programme))
    if wrong:
        name, what, value = wrong[0]
        msg = (
            f"The {name!r} parameter of {func} must be {what} or None; got {type(value).__name__}."
        )
        raise ValidationError(msg)


def _accepts(func: Any, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def write_report(
    path: str | os.PathLike[str],
    transactions: Any,
    surveys: Any = None,
    *,
    interactions: Any = None,
    scorecard: Any = None,
    observation_end: Any = None,
    previous: Any = None,
    over_time: Any = None,
    programme: Any = None,
    date_format: str | None = None,
    progress: bool = False,
) -> Path:
    """Write the HTML loyalty report to ``path`` (atomically) and return the path.

    The page is written to a temporary file in the target folder and moved over ``path`` in one
    step, so a reader never sees a half-written report. Arguments as in :func:`build_report`.

    Parameters
    ----------
    path
        Output file, usually ending in ``.html``; its folder must exist.
    transactions, surveys, interactions, scorecard, observation_end, previous, over_time, \
programme, date_format
        As in :func:`build_report`.
    progress
        Show a progress bar.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValidationError
        The folder of ``path`` does not exist or is not writable, ``path`` is a folder or an
        existing read-only file, or invalid inputs.

    Notes
    -----
    When ``path`` is a symbolic link, the file it points to is replaced and the link kept. A new
    file gets the permissions of the umask, a replaced one keeps its own.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from custloyalty.datasets import make_transactions
    >>> from custloyalty.report import write_report
    >>> tx = make_transactions(300, seed=1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_report(pathlib.Path(folder) / "report.html", tx)
    ...     text = out.read_text(encoding="utf-8")
    >>> text.startswith("<!DOCTYPE html>"), "http://" in text.split("<svg")[0]
    (True, False)
    """
    given: Any = path  # typed as a path, checked as anything
    if not isinstance(given, str | os.PathLike):
        msg = f"The 'path' parameter of write_report must be a file path; got {path!r}."
        raise ValidationError(msg)
    link = Path(path)
    target = real_target(link)  # a symbolic link stays a link: the file it points to is replaced
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        msg = (
            f"Cannot write the report to {str(target)!r}: the folder {str(folder)!r} does not "
            "exist.\nHint: create the folder first or choose another output path."
        )
        raise ValidationError(msg)
    if target.is_dir():
        msg = (
            f"Cannot write the report to {str(target)!r}: it is a folder.\n"
            "Hint: name the file, e.g. report.html inside it."
        )
        raise ValidationError(msg)
    refuse_read_only(link, f"Cannot write the report to {str(link)!r}")
    if not os.access(folder, os.W_OK | os.X_OK):
        msg = (
            f"Cannot write the report to {str(target)!r}: the folder {str(folder)!r} is not "
            "writable.\nHint: choose another output path."
        )
        raise ValidationError(msg)
    text = build_report(
        transactions,
        surveys,
        interactions=interactions,
        scorecard=scorecard,
        observation_end=observation_end,
        previous=previous,
        over_time=over_time,
        programme=programme,
        date_format=date_format,
        progress=progress,
    )
    with atomic_path(link) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return link

"""The offline HTML loyalty report: one self-contained page to hand to a manager.

:func:`write_report` scores the customers and writes the page; :func:`build_report` returns it
as text; :func:`render` turns an already computed
:class:`~custloyalty.scorecard.ScorecardResult` into the page. The page is a list of sections,
each one small function registered with :func:`section` (see :func:`available_sections`), so
adding a section is adding one function. Figures are static SVG drawn by
:mod:`custloyalty.plotting` and inlined with the CSS: the page makes no network request.
"""

from __future__ import annotations

from custloyalty.report._build import build_report, render, write_report
from custloyalty.report._context import ReportContext, customer_columns
from custloyalty.report._figures import figure_svg
from custloyalty.report._registry import (
    SectionSpec,
    available_sections,
    figures,
    remove_section,
    section,
)

__all__ = [
    "ReportContext",
    "SectionSpec",
    "available_sections",
    "build_report",
    "customer_columns",
    "figure_svg",
    "figures",
    "remove_section",
    "render",
    "section",
    "write_report",
]

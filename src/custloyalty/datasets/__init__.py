"""Bundled data sets (CDNOW transactions, ECSI surveys) and seeded synthetic generators."""

from __future__ import annotations

from custloyalty.datasets._interactions import make_interactions
from custloyalty.datasets._loaders import load_cdnow, load_ecsi
from custloyalty.datasets._programme import ProgrammeData, make_programme
from custloyalty.datasets._synthetic import make_survey, make_transactions

__all__ = [
    "ProgrammeData",
    "load_cdnow",
    "load_ecsi",
    "make_interactions",
    "make_programme",
    "make_survey",
    "make_transactions",
]

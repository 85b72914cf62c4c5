"""Recommendation ratings coloured by NPS category, synthetic survey of make_survey (n = 2000)."""

from custloyalty.datasets import make_survey
from custloyalty.plotting import plot_nps_distribution

plot_nps_distribution(make_survey(2000, seed=1)["recommend"])

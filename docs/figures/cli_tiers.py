"""Tiers of the table `custloyalty score` writes for the CDNOW sample: customers and spend."""

from custloyalty.datasets import load_cdnow
from custloyalty.plotting import plot_tiers
from custloyalty.report import customer_columns
from custloyalty.scorecard import LoyaltyScorecard

result = LoyaltyScorecard().fit_score(load_cdnow("sample"), observation_end="1998-06-30")
customers, _ = customer_columns(result)  # the scorecard's columns under the report's names
plot_tiers(customers["tier"], values=customers["total_spend"])

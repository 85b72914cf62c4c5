"""The report's first figure: composite loyalty index with the tier cut-offs, CDNOW sample."""

from custloyalty.datasets import load_cdnow
from custloyalty.plotting import plot_composite_distribution
from custloyalty.scorecard import LoyaltyScorecard

card = LoyaltyScorecard()
result = card.fit_score(load_cdnow("sample"), observation_end="1998-06-30")
plot_composite_distribution(
    result.customers["composite"],
    thresholds=card.tier_thresholds_,
    labels=[str(t) for t in result.customers["tier"].cat.categories],
)

"""Composite mean and churn rate per quarter, CDNOW master, weights frozen at 1997Q4."""

from custloyalty.datasets import load_cdnow
from custloyalty.monitoring import evaluate_over_time
from custloyalty.plotting import plot_over_time
from custloyalty.scorecard import LoyaltyScorecard

card = LoyaltyScorecard(
    ["purchase_days", "total_spend", "days_since_last_purchase"], weighting="equal"
)
res = evaluate_over_time(load_cdnow("master"), scorecard=card, period="Q", reference="1997Q4")
plot_over_time(res)

"""Recommendation ratings coloured by NPS category, synthetic survey of make_survey (n = 2000).

Drawn with matplotlib over custloyalty.metrics until the NPS distribution plot of
custloyalty.plotting lands; then this file becomes
``plot_nps_distribution(survey["recommend"])``.
"""

import matplotlib.pyplot as plt

from custloyalty import metrics
from custloyalty.datasets import make_survey

ratings = make_survey(2000, seed=1)["recommend"]
counts = ratings.value_counts().reindex(range(11), fill_value=0)
colours = {"detractor": "#c0392b", "passive": "#95a5a6", "promoter": "#27ae60"}
category = metrics.nps_category(list(range(11)))
_, ax = plt.subplots(figsize=(6.4, 3.6))
ax.bar(counts.index, counts.to_numpy(), color=[colours[c] for c in category])
ax.set_xticks(range(11))
ax.set_xlabel("recommendation rating (0-10)")
ax.set_ylabel("respondents")
share = counts / counts.sum()
score = 100 * (share[9:].sum() - share[:7].sum())
ax.set_title(f"NPS = {score:.1f} on {counts.sum()} answers: detractors, passives, promoters")

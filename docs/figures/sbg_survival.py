"""Observed and fitted survival of two contract cohorts (Fader & Hardie 2007, regular/high end)."""

import matplotlib.pyplot as plt

from custloyalty.models import ShiftedBetaGeo
from custloyalty.plotting import plot_retention

cohorts = {
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241],
    "high end": [1000, 869, 743, 653, 593, 551, 517, 491],
}
_, ax = plt.subplots(figsize=(6.4, 4.0))
for name, survivors in cohorts.items():
    fitted = ShiftedBetaGeo().fit(survivors)
    plot_retention(fitted.survival_by_cohort(survivors).assign(cohort=name), ax=ax)

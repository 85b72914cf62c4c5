"""Value x potential grid (BG/NBD + Gamma-Gamma, 12 months), CDNOW sample to 30 June 1998."""

from custloyalty.datasets import load_cdnow
from custloyalty.plotting import plot_value_potential
from custloyalty.segmentation import value_potential_tiers

res = value_potential_tiers(load_cdnow("sample"), observation_end="1998-06-30", levels=3)
plot_value_potential(res)

"""Calibration vs holdout purchases by calibration frequency, BG/NBD on the CDNOW sample."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.models import BetaGeo, calibration_holdout
from custloyalty.plotting import plot_calibration_holdout

split = cl.rfm_summary(
    load_cdnow("sample"), calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
)
plot_calibration_holdout(calibration_holdout(BetaGeo().fit(split), split))

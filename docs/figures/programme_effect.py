"""Programme effect per outcome with its placebo, generated programme data (lift 0.4, n = 3000)."""

from custloyalty.datasets import make_programme
from custloyalty.plotting import plot_programme_effect
from custloyalty.programme import programme_effect

data = make_programme(3000, lift=0.4, seed=5)
res = programme_effect(
    data.transactions,
    data.members,
    launch=data.launch,
    observation_end=data.observation_end,
    pre_days=180,
    n_boot=100,
    seed=0,
)
plot_programme_effect(res)

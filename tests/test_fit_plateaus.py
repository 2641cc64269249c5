"""Appendix C.1.4's plateau rule (analysis.fit_plateaus) on synthetic curves and on the thesis's own cases."""

import numpy as np
import pytest

from twolayer.analysis import fit_plateaus


def staircase(t):
    """A loss with known plateaus: 1 until t = 1000, a fast drop to 1/2 by 1200, flat to 3000, then
    a fast drop to 1e-3 by 3400 (linear pieces)."""
    return np.interp(t, [0, 1000, 1200, 3000, 3400, 5000], [1.0, 1.0, 0.5, 0.5, 1e-3, 1e-3])


def test_a_staircase_has_its_two_plateaus_at_their_levels_whatever_the_record_spacing():
    for every in (1, 10, 20):
        t = np.arange(0, 5001, every, dtype=float)
        found = fit_plateaus(t, staircase(t))
        assert [round(p["level"], 6) for p in found] == [1.0, 0.5]
        # T = first record below 0.01, about 3392; window T/100 ~ 34 epochs
        assert found[0]["start"] == 0 and found[0]["end"] == pytest.approx(1000, abs=every + 35)
        assert found[1]["start"] == pytest.approx(1200, abs=every + 35)
        assert found[1]["end"] == pytest.approx(3000, abs=every + 35)


def test_no_plateau_is_looked_for_in_a_run_that_never_fits_and_a_smooth_decay_has_none():
    t = np.arange(0, 5001, 10, dtype=float)
    assert fit_plateaus(t, 0.5 + 0.5 * np.exp(-t / 500)) is None          # never below 0.01
    assert fit_plateaus(t, np.exp(-t / 500)) == []                         # exponential: convex, no plateau
    rising = np.interp(t, [0, 50, 400, 1000], [1.0, 50.0, 0.3, 1e-3])     # a spike is fast, not a plateau
    assert fit_plateaus(t, rising) == []


@pytest.mark.parametrize("act,scales,counts", [
    ("relu", (1e-6, 1e-4, 1e-2, 1.0), (2, 2, 2, 0)),   # thesis C.9 and the shoulder near 0.45 at 1e-2
    ("sigmoid", (1e-6,), (1,)),                          # C.10: an initial plateau, no intermediate one
    ("tanh", (1e-6,), (1,)),                             # C.12
])
def test_the_thesis_cases_on_data_set_1_1_0(act, scales, counts):
    """m = 60, step 1e-3, balanced start (thesis Figs 3.1, C.8-C.12): ReLU goes saddle to saddle (two
    plateaus, at loss 1 and about 1/2) for lambda <= 1e-2 and has none at lambda = 1; Sigmoid and
    Tanh have the initial plateau only."""
    from twolayer import data
    from twolayer.experiments.base import THESIS_LOSS, balanced_net
    from twolayer.optim import GD
    from twolayer.sweep import train_many

    X, y = data.thesis("1.1.0")
    nets = [balanced_net(2, 60, act, s, 0) for s in scales]
    trajs = train_many(nets, X, y, **THESIS_LOSS, optimizer=GD(1e-3), steps=60_000, record_every=50,
                       snapshots=False, quiet=True)
    for s, c, t in zip(scales, counts, trajs):
        found = fit_plateaus(t.steps, t.train_loss)
        assert found is not None and len(found) == c, (act, s, found)
        if c:
            assert found[0]["start"] == 0 and found[0]["level"] == pytest.approx(1.0, abs=0.03)
        if c == 2:
            assert 0.4 < found[1]["level"] < 0.52

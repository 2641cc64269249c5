"""overparam-convergence, 2-D part over student seeds: the per-width numbers, their sentences, the
flags and what the store keeps."""

import json

import numpy as np
import pytest

from twolayer import runstore
from twolayer.analysis import spread
from twolayer.experiments import EXPERIMENTS
from twolayer.experiments import overparam as op
from twolayer.init import init_net
from twolayer.optim import GD
from twolayer.train import train
from twolayer.trajectory import log_steps


class Ctx:
    engine, quiet = "numpy", True


# -- sentences (pure), each flipped ---------------------------------------------------------------------------
def test_width_sentence_names_the_width_from_which_every_seed_converges():
    w = [5, 10, 100]
    text = op.width_convergence_sentence(w, [3, 3, 3], [0, 2, 3], [3, 1, 0], 1e-3, 2.0)
    assert "m = 5: 0/3, m = 10: 2/3, m = 100: 3/3" in text
    assert "Every seed converges from m = 100 on; at the narrower m = 5, 10 some do not" in text
    assert "All 4 runs that did not converge are on a plateau" in text and "stuck, not slow" in text
    # one more seed converging at m = 10 moves the threshold down
    assert "Every seed converges from m = 10 on; at the narrower m = 5 some do not" in \
        op.width_convergence_sentence(w, [3, 3, 3], [0, 3, 3], [3, 0, 0], 1e-3, 2.0)
    # the widest failing once flips the conclusion
    widest = op.width_convergence_sentence(w, [3, 3, 3], [0, 3, 2], [3, 0, 1], 1e-3, 2.0)
    assert "Even at the widest m = 100, 1 of 3 seeds do not converge" in widest and "from m =" not in widest
    assert "Every seed converges at every width" in op.width_convergence_sentence(w, [3] * 3, [3] * 3, [0] * 3, 1e-3, 2)
    assert "No width converges in every seed" in op.width_convergence_sentence(w, [3] * 3, [0, 1, 2], [3, 2, 1], 1e-3, 2)
    non_mono = op.width_convergence_sentence(w, [3, 3, 3], [3, 2, 3], [0, 1, 0], 1e-3, 2.0)
    assert "not monotone in width" in non_mono and "at the narrower m = 5, but not at m = 10" in non_mono


def test_width_sentence_separates_stuck_from_slow_and_skips_flagged_widths():
    slow = op.width_convergence_sentence([5, 100], [3, 3], [0, 3], [1, 0], 1e-3, 2.0)
    assert "Of the 3 runs that did not converge, 1 is on a plateau" in slow and "2 were still falling" in slow
    assert "stuck, not slow" not in slow
    flagged = op.width_convergence_sentence([5, 100], [0, 3], [0, 3], [0, 0], 1e-3, 2.0)
    assert "m = 5: no healthy run" in flagged and "Every seed converges at every width with a healthy run" in flagged
    assert "nothing is concluded" in op.width_convergence_sentence([5, 100], [0, 0], [0, 0], [0, 0], 1e-3, 2.0)


def test_coverage_sentence_says_whether_coverage_follows_convergence():
    w = [5, 100]
    follows = op.coverage_sentence(w, [[False, False], [True, True]], [[1, 2], [4, 4]], 4)
    assert "m = 5: 1.5 (1-2), m = 100: 4 (4-4)" in follows
    assert "Coverage follows convergence: 2 of the 2 converged runs cover all 4; 2 of the 2 runs that did not " \
           "converge miss at least one" in follows
    # a stuck run that covers every direction, and a converged one that misses one: they disagree
    apart = op.coverage_sentence(w, [[False, False], [True, True]], [[4, 2], [3, 4]], 4)
    assert "Coverage and convergence disagree in 2 of 4 runs" in apart and "follows" not in apart
    assert "1 of the 2 converged runs cover all 4" in apart
    # flagged runs (None) are left out of the mean and of the pairs
    left = op.coverage_sentence(w, [[None, False], [True, None]], [[None, 2], [4, None]], 4)
    assert "m = 5: 2 (2-2)" in left and "1 of the 1 converged runs" in left


# -- one run per seed, flags ----------------------------------------------------------------------------------
def test_students_are_drawn_with_seed_plus_one_plus_k_and_only_the_drawn_seed_keeps_snapshots():
    cfg = EXPERIMENTS["overparam-convergence"].make_config(True, {"steps_2d": "300", "seed": "4"})
    assert op.student_seeds(cfg) == [5, 6, 7]
    teacher = op.square_teacher(cfg.seed)
    X = np.random.default_rng(0).standard_normal((60, 2))
    y = teacher(X)
    for s in op.student_seeds(cfg):
        tr = op.particles_2d(cfg, 10, s, X, y, Ctx)
        assert tr.has_snapshots == (s == 5)
        by_hand = train(init_net(2, 10, "relu", "mean-field", init="sphere", scale=cfg.scale_2d, seed=s), X, y,
                        loss="square", reduction="mean", optimizer=GD(cfg.lr_2d * 10), steps=300,
                        record_at=log_steps(300, 60), engine="numpy", quiet=True)
        np.testing.assert_allclose(tr.train_loss, by_hand.train_loss, rtol=1e-12)


def test_a_diverged_run_is_flagged_and_left_out_of_the_counts():
    # per-neuron step 100 is far above 2 / lambda_max (about 40 here): GD blows up within a few steps
    cfg = EXPERIMENTS["overparam-convergence"].make_config(True, {"lr_2d": "100", "steps_2d": "200"})
    teacher = op.square_teacher(0)
    X = np.random.default_rng(0).standard_normal((50, 2))
    y = teacher(X)
    bad = op.particles_2d(cfg, 5, 2, X, y, Ctx)
    good_cfg = EXPERIMENTS["overparam-convergence"].make_config(True, {"steps_2d": "200"})
    good = op.particles_2d(good_cfg, 5, 2, X, y, Ctx)
    assert "diverged" in bad.info and "diverged" not in good.info and bad.steps[-1] < good.steps[-1] == 200
    out = [op.seed_outcome(cfg, bad, teacher), op.seed_outcome(good_cfg, good, teacher)]
    assert out[0]["health"]["status"] == "diverged" and out[0]["final"] is None and out[0]["covered"] is None
    assert out[1]["health"]["status"] == "ok" and out[1]["final"] == pytest.approx(good.train_loss[-1])
    agg = op.over_seeds([out])
    assert agg["ok"] == [1] and agg["final"] == [[None, out[1]["final"]]]
    assert agg["final_spread"][0]["n"] == 1 and agg["covered_spread"][0]["n"] == 1


# -- the quick run ---------------------------------------------------------------------------------------------
def test_quick_run_summarises_every_width_over_its_seeds(quick_results):
    folder, o = quick_results("overparam-convergence")
    cfg = EXPERIMENTS["overparam-convergence"].make_config(True)
    W, R = len(o["widths_2d"]), cfg.seeds_2d
    assert o["particle_student_seeds"] == [cfg.seed + 1 + k for k in range(R)] and R >= 2
    for key in ("particle_final_loss_seeds", "particle_state_seeds", "particle_converged_seeds",
                "particle_stalled_seeds", "teacher_directions_covered_seeds"):
        assert len(o[key]) == W and all(len(row) == R for row in o[key])
    assert o["particle_flagged"] == [] and o["particle_runs_ok"] == [R] * W
    # the single-seed keys are the drawn seed's column
    assert [row[0] for row in o["particle_final_loss_seeds"]] == o["particle_final_loss"]
    assert [row[0] for row in o["particle_state_seeds"]] == o["particle_state"]
    assert [row[0] for row in o["teacher_directions_covered_seeds"]] == o["teacher_directions_covered"]
    for i in range(W):
        assert o["particle_final_loss_spread"][i] == pytest.approx(spread(o["particle_final_loss_seeds"][i]))
        assert o["teacher_directions_covered_spread"][i] == pytest.approx(spread(o["teacher_directions_covered_seeds"][i]))
        conv = o["particle_converged_seeds"][i]
        assert o["particle_runs_converged"][i] == sum(conv)
        assert conv == [f < cfg.converged_below for f in o["particle_final_loss_seeds"][i]]
        assert o["particle_fraction_converged"][i] == sum(conv) / R
    # the narrowest student never converges and misses a direction; the widest always converges and covers all 4
    assert o["particle_runs_converged"][0] == 0 and o["particle_runs_stalled"][0] == R
    assert max(o["teacher_directions_covered_seeds"][0]) < 4
    assert o["particle_runs_converged"][-1] == R and o["teacher_directions_covered_seeds"][-1] == [4] * R
    report = (folder / "report.md").read_text()
    assert op.width_convergence_sentence(o["widths_2d"], o["particle_runs_ok"], o["particle_runs_converged"],
                                         o["particle_runs_stalled"], cfg.converged_below, cfg.stall_factor) in report
    assert op.coverage_sentence(o["widths_2d"], o["particle_converged_seeds"], o["teacher_directions_covered_seeds"],
                                4) in report
    assert (folder / "figures" / "particle_seeds.png").stat().st_size > 10_000


def test_quick_store_keeps_snapshots_only_for_the_drawn_seed_and_an_independent_retrain_agrees(quick_results):
    folder, o = quick_results("overparam-convergence")
    cfg = EXPERIMENTS["overparam-convergence"].make_config(True)
    units = {}
    for path in (folder / "store").glob("*.h5"):
        value, meta = runstore.load(path)
        if meta["name"] == "particles_2d":
            settings = json.loads(meta["settings_json"])
            units[settings["width"], settings["seed"]] = value
    assert set(units) == {(m, s) for m in o["widths_2d"] for s in o["particle_student_seeds"]}
    assert all(tr.has_snapshots == (s == cfg.seed + 1) for (m, s), tr in units.items())
    assert sum(p.stat().st_size for p in (folder / "store").glob("*.h5")) < 20e6
    # the second seed of the narrowest width, trained again here from its own seed
    m, k = o["widths_2d"][0], 1
    teacher = op.square_teacher(cfg.seed)
    X = np.random.default_rng(cfg.seed).standard_normal((cfg.n_2d, 2))
    net = init_net(2, m, "relu", "mean-field", init="sphere", scale=cfg.scale_2d, seed=cfg.seed + 1 + k)
    tr = train(net, X, teacher(X), loss="square", reduction="mean", optimizer=GD(cfg.lr_2d * m), steps=cfg.steps_2d,
               record_at=log_steps(cfg.steps_2d, 60), snapshots=False, engine="numpy", quiet=True)
    assert tr.train_loss[-1] == pytest.approx(o["particle_final_loss_seeds"][0][k], rel=1e-6)
    assert op.covered_directions(tr.final, teacher, cfg.near_degrees) == o["teacher_directions_covered_seeds"][0][k]

"""The lazy (linearised) twin, twolayer.theory.lazy: each test checks a number that theory or an
independent computation gives."""

import numpy as np
import pytest

import twolayer as tl
from twolayer import ntk
from twolayer.errors import InvalidParameter
from twolayer.theory import lazy as L


def problem(n=20, d=3, nt=40, seed=0):
    rng = np.random.default_rng(seed)
    X, Xt = rng.standard_normal((n, d)), rng.standard_normal((nt, d))
    return X, np.sin(2 * X[:, 0]) + X[:, 1] ** 2 - 1, Xt, np.sin(2 * Xt[:, 0]) + Xt[:, 1] ** 2 - 1


@pytest.mark.parametrize("activation, bias, trainable", [("tanh", True, ("a", "W", "c")), ("relu", False, ("a", "W")),
                                                         ("sigmoid", True, ("W",))])
def test_jacobian_matches_central_differences_and_the_empirical_ntk(activation, bias, trainable):
    X, *_ = problem(n=7)
    net = tl.init_net(3, 9, activation, "ntk", bias=bias, seed=3)
    J = L.jacobian(net, X, trainable)
    th, eps = net.theta, 1e-6
    fd = np.array([(net.with_theta(th + eps * e)(X) - net.with_theta(th - eps * e)(X)) / (2 * eps)
                   for e in np.eye(th.size)]).T
    mask = net.layout.mask(tuple(t for t in trainable if t != "c" or bias))
    assert np.abs(J[:, mask] - fd[:, mask]).max() < 1e-8 * np.abs(fd).max()
    assert np.all(J[:, ~mask] == 0)
    assert np.allclose(L.tangent_gram(net, X, None, trainable), J @ J.T, rtol=1e-12, atol=1e-14)


def test_a_network_linear_in_its_trainable_parameters_is_its_own_twin():
    """Identity activation with the first layer frozen, and random ReLU features (only a trains):
    f is linear in the trained a, so the twin and the network coincide along the whole run
    (GD and SGD with the same sample orders)."""
    X, y, Xt, yt = problem()
    for act, opt, kw in (("identity", tl.GD(0.2), {}), ("relu", tl.SGD(0.1, batch_size=4), {"seed": 7})):
        net = tl.init_net(3, 30, act, "ntk", seed=1)
        tw = L.lazy_twin(net, X, y, trainable=("a",), optimizer=opt, steps=300, X_test=Xt, y_test=yt, real=True,
                         engine="numpy", **kw)
        assert tw.method == ("closed-form" if isinstance(opt, tl.GD) else "iterate")
        assert tw.real_weight_change[-1] > 0.05                      # the run did move
        assert np.max(tw.distance_test) < 1e-12 * np.sqrt(np.mean(yt ** 2))
        assert np.allclose(tw.train_loss, tw.real_train_loss, rtol=1e-10, atol=1e-14)
        assert np.allclose(tw.weight_change, tw.real_weight_change, rtol=1e-9)


def test_twin_distance_shrinks_like_one_over_width_and_the_weights_like_one_over_sqrt_width():
    """NTK parametrisation, fixed training time: the relative weight change is O(1/sqrt(m)) (Jacot et
    al. 2018; Lee et al. 2019), and the distance to the linearisation, the second-order Taylor term
    (1/2) D^2 f[delta, delta] = m^(-1/2) sum_j (2 delta_a,j sigma'(z_j) delta_w,j . x + a_j sigma''(z_j)
    (delta_w,j . x)^2) with delta_a,j, delta_w,j ~ m^(-1/2), is a sum of m terms of size 1/m whose signs
    follow the random signs of a_j (delta_a,j delta_w,j ~ a_j, a_j delta_w,j^2 ~ a_j^3): it cancels to
    m^(-1/2) m^(1/2) / m = 1/m (the NTK moves at O(1/m), Dyer and Gur-Ari 2019), below Lee et al.'s
    1/sqrt(m) upper bound. Measured slopes of the log-log fits over m = 200 ... 6400."""
    X, y, Xt, yt = problem(n=15)
    widths = np.array([200, 800, 3200, 6400])
    dist, move = [], []
    for m in widths:
        runs = [L.lazy_twin(tl.init_net(3, int(m), "tanh", "ntk", seed=s), X, y, optimizer=tl.GD(0.5), steps=200,
                            record_at=[0, 200], X_test=Xt, y_test=yt, real=True, engine="numpy", kernel=None)
                for s in range(3)]
        dist.append(np.mean([r.distance_test[-1] for r in runs]))
        move.append(np.mean([r.real_weight_change[-1] for r in runs]))
    slope = np.polyfit(np.log(widths), np.log(dist), 1)[0]
    assert -1.2 < slope < -0.8, (slope, dist)
    slope_w = np.polyfit(np.log(widths), np.log(move), 1)[0]
    assert -0.6 < slope_w < -0.4, (slope_w, move)


def test_in_the_rich_regime_the_twin_is_a_different_predictor():
    """Mean-field scaling from a small initialisation (alpha = 0.05, the sheet's rich regime): the
    weights move by many times their initial norm, the network ends far from its linearisation
    (distance of the order of the labels' scale), and the laziness scale kappa is far above 1."""
    X, y, Xt, yt = problem(n=20, d=2)
    m = 100
    net = tl.init_net(2, m, "relu", "mean-field", init="sphere", scale=0.05, seed=2)
    tw = L.lazy_twin(net, X, y, loss="square", reduction="mean", optimizer=tl.GD(m), steps=3000,
                     record_at=[0, 3000], X_test=Xt, y_test=yt, real=True, engine="numpy")
    assert tw.distance_test[-1] > 0.3 * np.sqrt(np.mean(yt ** 2))
    assert tw.real_weight_change[-1] > 10
    # the linear model must fit with a kernel of size alpha^2 / m: its weights travel even further
    assert tw.weight_change[-1] > tw.real_weight_change[-1]
    assert L.laziness_scale(net, X, y)["kappa"] > 100


def test_gd_twin_approaches_the_closed_form_flow_solution_at_rate_step():
    """Stepping the linear model with GD (parameter space, explicit Jacobian) against the flow formula
    ntk.linearised_predictor with the empirical Gram matrix J J^T: the gap is O(lr) at equal time."""
    X, y, Xt, yt = problem()
    net = tl.init_net(3, 40, "tanh", "ntk", seed=4)
    J, Jt = L.jacobian(net, X), L.jacobian(net, Xt)
    T = 4.0
    flow = ntk.linearised_predictor(J @ J.T, Jt @ J.T, y, net(X), net(Xt), T)    # half_mean loss, time T
    gaps = []
    for lr in (0.04, 0.02, 0.01):
        k = int(round(T / lr))
        tw = L.lazy_twin(net, X, y, optimizer=tl.GD(lr), steps=k, record_at=[k], X_test=Xt, y_test=yt,
                         method="iterate", kernel=None)
        gaps.append(np.max(np.abs(tw.test_out[-1] - flow)))
    assert gaps[-1] < 0.05 * np.max(np.abs(flow - net(Xt)))
    assert 1.7 < gaps[0] / gaps[1] < 2.3 and 1.7 < gaps[1] / gaps[2] < 2.3, gaps


@pytest.mark.parametrize("optimizer, kw", [(tl.GD(0.3), {"steps": 400}), (tl.Flow(rtol=1e-10, atol=1e-12), {"t_max": 50.0})])
def test_closed_form_twin_equals_the_stepped_twin(optimizer, kw):
    X, y, Xt, yt = problem()
    net = tl.init_net(3, 25, "relu", "ntk", bias=True, seed=5)
    a = L.lazy_twin(net, X, y, reduction="mean", optimizer=optimizer, X_test=Xt, y_test=yt, **kw)
    b = L.lazy_twin(net, X, y, reduction="mean", optimizer=optimizer, X_test=Xt, y_test=yt, method="iterate", **kw)
    assert (a.method, b.method) == ("closed-form", "iterate")
    assert np.max(np.abs(a.test_out - b.test_out)) < 1e-7 * np.max(np.abs(a.test_out))
    assert np.allclose(a.weight_change, b.weight_change, rtol=1e-6, atol=1e-12)
    assert a.train_loss[-1] < 0.05 * a.train_loss[0]


def test_closed_form_flow_twin_is_the_linearised_predictor_with_the_empirical_kernel():
    X, y, Xt, yt = problem()
    net = tl.init_net(3, 60, "tanh", "ntk", seed=6)
    times = np.array([0.0, 1.0, 5.0, 30.0])
    tw = L.lazy_twin(net, X, y, optimizer=tl.Flow(), t_max=30.0, record_at=times, X_test=Xt, y_test=yt)
    K, Kt = ntk.empirical_ntk(net, X), ntk.empirical_ntk(net, Xt, X)
    want = ntk.linearised_predictor(K, Kt, y, net(X), net(Xt), times)
    assert np.max(np.abs(tw.test_out - want)) < 1e-10 * np.max(np.abs(want))


def test_infinite_width_kernel_is_the_limit_of_the_empirical_ntk():
    """The empirical NTK of the same architecture and law converges to infinite_width_ntk, with the
    Monte-Carlo error shrinking like 1/sqrt(m) (a factor about 4 from m = 500 to 8000)."""
    X, *_ = problem(n=12, d=2)
    for act, law, init in (("relu", "sphere", "sphere"), ("tanh", "gaussian", "gaussian")):
        errs = []
        for m in (500, 8000):
            e = []
            for s in range(4):
                net = tl.init_net(2, m, act, "mean-field", init=init, scale=1.7, outer_scale=0.6, seed=s)
                law_, inner, outer = L.init_law(net)
                assert (law_, inner, outer) == (law, 1.7, 0.6)
                K = L.infinite_width_ntk(X, width=m, activation=act, law=law, inner_scale=inner, outer_rms=outer)
                e.append(np.abs(ntk.empirical_ntk(net, X) - K).max() / np.abs(K).max())
            errs.append(np.mean(e))
        assert errs[1] < 0.05 and 2.5 < errs[0] / errs[1] < 7, (act, errs)


def test_kernel_predictor_is_reported_only_where_the_analytic_ntk_applies():
    X, y, Xt, yt = problem(d=2)
    net = tl.init_net(2, 3000, "relu", "mean-field", init="sphere", scale=np.sqrt(3000), seed=0)
    tw = L.lazy_twin(net, X, y, reduction="mean", optimizer=tl.GD(1.0), steps=2000, record_at=[0, 2000],
                     X_test=Xt, y_test=yt)
    # wide and lazy: the finite twin and the infinite-width kernel predictor agree closely
    assert abs(tw.kernel_test_loss[-1] / tw.test_loss[-1] - 1) < 0.1
    assert tw.kernel_test_loss[0] == pytest.approx(tw.test_loss[0], rel=1e-12)      # same f_0 at t = 0
    other = L.lazy_twin(net, X, y, loss="square", optimizer=tl.SGD(0.1, batch_size=5), steps=10, X_test=Xt, y_test=yt)
    assert other.kernel_test_loss is None and "full-batch" in other.info["kernel"]


def test_laziness_scale_second_derivative_norm_is_exact_for_the_linear_network():
    """Identity activation, no bias: D^2 f[u, v] = s sum_j (u_a,j v_w,j + v_a,j u_w,j) . (sum_i w_i x_i),
    so ||D^2 f|| = s sigma_max(X)."""
    X, y, *_ = problem(n=10, d=4)
    net = tl.init_net(4, 30, "identity", "ntk", seed=8)
    out = L.laziness_scale(net, X, y)
    assert out["hess_norm"] == pytest.approx(net.scale * np.linalg.svd(X, compute_uv=False)[0], rel=1e-6)
    assert out["jac_norm"] == pytest.approx(np.linalg.norm(L.jacobian(net, X), 2), rel=1e-12)


def test_bad_input_is_refused_before_any_work():
    X, y, Xt, yt = problem()
    net = tl.init_net(3, 10, "relu", "ntk", seed=0)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InvalidParameter, match="X"):
        L.lazy_twin(net, bad, y, steps=5)
    with pytest.raises(InvalidParameter, match="method"):
        L.lazy_twin(net, X, y, steps=5, method="exact")
    with pytest.raises(InvalidParameter, match="method"):
        L.lazy_twin(net, X, y, loss="square", weight_decay=0.1, steps=5, method="closed-form")
    with pytest.raises(InvalidParameter, match="y"):
        L.lazy_twin(net, X, y[:-1], steps=5)
    with pytest.raises(InvalidParameter, match="net"):
        L.lazy_twin(tl.init_net(3, 10, outputs=2), X, np.zeros((len(X), 2)), steps=5)
    run = tl.train(net, X, y, optimizer=tl.GD(0.1), steps=10, record_at=[0, 10], quiet=True)
    with pytest.raises(InvalidParameter, match="real"):
        L.lazy_twin(net, X, y, optimizer=tl.GD(0.1), steps=10, record_at=[0, 5, 10], real=run)
    with pytest.raises(InvalidParameter, match="kernel"):
        L.lazy_twin(net, X, y, steps=5, kernel=("uniform", 1.0, 1.0))
    with pytest.raises(InvalidParameter, match="y"):
        L.laziness_scale(net, X, y[:-1])
    with pytest.raises(InvalidParameter, match="law"):
        L.infinite_width_ntk(X, width=10, law="uniform")
    with pytest.raises(InvalidParameter, match="activation"):
        L.infinite_width_ntk(X, width=10, activation="tanh", law="sphere")


def test_logistic_loss_with_weight_decay_and_momentum_steps_the_linear_model():
    """No closed form: the stepped twin's gradient is J^T r l'(f_lin) + lambda theta, checked by the
    first GD step against the real network's first step (the two gradients coincide at theta_0)."""
    X, y, Xt, yt = problem()
    ys = np.sign(y)
    net = tl.init_net(3, 20, "tanh", "ntk", seed=9)
    opt = tl.GD(0.5, momentum=0.5)
    tw = L.lazy_twin(net, X, ys, loss="logistic", weight_decay=0.01, optimizer=opt, steps=1, record_at=[0, 1],
                     real=True, engine="numpy")
    assert tw.method == "iterate"
    g = tl.Objective(net, X, ys, "logistic", "mean", 0.01).grad(net.theta)
    step = np.linalg.norm(0.5 * g) / net.norm
    assert tw.weight_change[-1] == pytest.approx(step, rel=1e-12)
    assert tw.real_weight_change[-1] == pytest.approx(step, rel=1e-12)


def test_study_records_the_lazy_twin_metrics_of_every_run(tmp_path):
    """A study's lazy-twin metrics equal lazy_twin on the same run (independently trained here), and
    the lazy distance grows from the lazy (large scale) to the rich (small scale) initialisation."""
    from twolayer.study import Study

    X, y, Xt, yt = problem(n=16, d=2, nt=30)
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=Xt, y_test=yt)
    spec = {"name": "lazy", "data": {"file": str(tmp_path / "d.npz")},
            "net": {"width": 40, "activation": "tanh", "scaling": "ntk", "bias": False},
            "train": {"loss": "square", "reduction": "mean", "steps": 300},
            "optimizer": {"name": "gd", "lr": 0.2}, "grid": {"scale": [0.05, 1.0]}, "seeds": {"init": 2},
            "record": {"metrics": ["final_loss", "lazy_distance", "lazy_final_loss", "lazy_test_loss", "laziness_kappa"],
                       "points": 10}}
    study = Study(spec, tmp_path / "s")
    assert study.run(workers=1, quiet=True)["done"] == 4
    df = study.table()
    for _, row in df.iterrows():
        net = tl.init_net(2, 40, "tanh", "ntk", bias=False, scale=row["scale"], seed=int(row["init_seed"]))
        tw = L.lazy_twin(net, X, y, reduction="mean", optimizer=tl.GD(0.2), steps=300, record_at=[0, 300],
                         X_test=Xt, y_test=yt, real=True, engine="numpy", kernel=None)
        assert row["lazy_final_loss"] == pytest.approx(tw.train_loss[-1], rel=1e-9)
        assert row["lazy_test_loss"] == pytest.approx(tw.test_loss[-1], rel=1e-9)
        assert row["lazy_distance"] == pytest.approx(tw.distance_test[-1] / np.sqrt(np.mean(yt ** 2)), rel=1e-6)
        assert row["laziness_kappa"] == pytest.approx(L.laziness_scale(net, X, y)["kappa"], rel=1e-6)
    by_scale = df.groupby("scale")["lazy_distance"].min()
    assert df[df["scale"] == 0.05]["lazy_distance"].min() > 2 * df[df["scale"] == 1.0]["lazy_distance"].max(), by_scale

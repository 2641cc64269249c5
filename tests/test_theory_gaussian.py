"""The Gaussian integrals of the teacher-student ODEs against Monte Carlo, and the ODEs' drift against
the mean one-step change of online SGD."""

import zlib

import numpy as np
import pytest

from twolayer.theory import gaussian as G
from twolayer.theory import online_ode

CLOSED = {("erf", k) for k in ("I2", "I3", "I4", "J2")} | {("identity", k) for k in ("I2", "I3", "I4", "J2")} \
    | {(a, k) for a in ("relu", "leaky_relu") for k in ("I2", "I3", "J2")}


def _covariances(p, rng):
    out = []
    for t in range(3):
        A = rng.standard_normal((p, p))
        C = A @ A.T / p + 0.3 * np.eye(p)
        if t == 2 and p >= 3:          # singular: u3 = u1, as I3(i, b, i) and I4(i, k, i, b) in the ODEs
            C[2, :], C[:, 2] = C[0, :], C[:, 0]
            C[2, 2] = C[0, 0]
        out.append(C)
    return out


@pytest.mark.parametrize("name", G.ACTIVATIONS)
@pytest.mark.parametrize("kind,p", [("I2", 2), ("J2", 2), ("I3", 3), ("I4", 4)])
def test_every_integral_matches_monte_carlo_within_its_stated_accuracy(name, kind, p, report):
    rng = np.random.default_rng(zlib.crc32(f"{name} {kind}".encode()))   # hash() of a str changes per process
    closed = (name, kind) in CLOSED
    acc = 0.0 if closed else G.QUAD_ACCURACY["kinked" if name in ("relu", "leaky_relu") else
                                             "smooth_I4" if kind == "I4" else "smooth"]
    worst = 0.0
    for t, C in enumerate(_covariances(p, rng)):
        value = float(getattr(G, kind)(name, C))
        mc, se = G.monte_carlo(kind, name, C, samples=1_000_000, seed=t)
        assert abs(value - mc) <= 5 * se + acc + 1e-12, (C, value, mc, se)
        worst = max(worst, abs(value - mc))
    report(f"{name} {kind}: {'closed form' if closed else 'quadrature'}, max |value - MC| = {worst:.1e}")


def test_the_erf_constants_are_those_of_the_arcsine_formula():
    C = np.array([[1.0, 0.5], [0.5, 1.0]])                 # (2/pi) arcsin(0.5 / 2) by hand
    assert G.I2("erf", C) == pytest.approx(2 / np.pi * np.arcsin(0.25), rel=1e-14)
    assert G.I2("relu", np.eye(2)) == pytest.approx(1 / (2 * np.pi), rel=1e-14)    # E[relu u] E[relu v]
    assert G.I2("relu", np.ones((2, 2))) == pytest.approx(0.5, rel=1e-12)          # E[relu(u)^2] = 1/2


def test_a_student_equal_to_its_teacher_has_zero_error_and_a_blank_student_the_teachers_power():
    T = np.eye(2)
    assert online_ode.eps_g(T, T, T, np.ones(2), np.ones(2)) == pytest.approx(0, abs=1e-14)
    # v = 0: eps = (1/2) sum_nm I2(T) = (1/2) * 2 * (2/pi) arcsin(1/2) = (2/pi) (pi/6)
    assert online_ode.eps_g(T, np.zeros((2, 2)), T, np.zeros(2), np.ones(2)) == pytest.approx(1 / 3, rel=1e-12)


@pytest.mark.parametrize("activation", ["erf", "relu"])
def test_the_ode_drift_is_the_mean_one_step_change_of_online_sgd(activation):
    """d * E[change of Q, R, v in one SGD step] against the ODE's right-hand side at the same state
    (independent of the integrals: plain sampling of the actual update)."""
    rng = np.random.default_rng(3)
    K, M, d, lr, lr_v, sigma = 2, 2, 400, 0.7, 0.5, 0.3
    Wt = rng.standard_normal((M, d))
    W = 0.6 * rng.standard_normal((K, d)) + 0.4 * Wt[[1, 0]]
    v, vt = np.array([0.8, 1.2]), np.array([1.0, 0.7])
    Q, R, T = online_ode.order_parameters(W, Wt)
    dQ, dR, dv = online_ode.OnlineODE(K, M, T, vt, activation, lr, lr_v, sigma).derivatives(Q, R, v)
    n, chunks = 100_000, 4
    acc = {"Q": [], "R": [], "v": []}
    for _ in range(chunks):
        x = rng.standard_normal((n, d))
        lam, nu = x @ W.T / np.sqrt(d), x @ Wt.T / np.sqrt(d)
        delta = G.g(activation, lam) @ v - G.g(activation, nu) @ vt - sigma * rng.standard_normal(n)
        coef = lr / np.sqrt(d) * v * G.dg(activation, lam) * delta[:, None]          # (n, K)
        # W' = W - coef x: the exact one-step change of the overlaps, times d
        xx = (x * x).sum(1) / d
        dq = -(coef[:, :, None] * lam[:, None, :] + coef[:, None, :] * lam[:, :, None]) * np.sqrt(d) \
            + coef[:, :, None] * coef[:, None, :] * xx[:, None, None] * d
        acc["Q"].append(dq)
        acc["R"].append(-coef[:, :, None] * nu[:, None, :] * np.sqrt(d))
        acc["v"].append(-lr_v * G.g(activation, lam) * delta[:, None])
    for key, ode in (("Q", dQ), ("R", dR), ("v", dv)):
        s = np.concatenate(acc[key])
        mean, se = s.mean(0), s.std(0) / np.sqrt(len(s))
        # the eta^2 term carries |x|^2/d, whose O(1/d) correlation with the rest the ODE drops
        assert np.all(np.abs(mean - ode) <= 5 * se + 3 * lr ** 2 / d), (key, mean, ode, se)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_the_smooth_quadrature_rules_agree_with_rules_of_twice_the_points(name):
    """The stated accuracy of the smooth rules (QUAD_ACCURACY['smooth']), beyond what Monte Carlo resolves."""
    rng = np.random.default_rng(7)
    for kind, p in (("I2", 2), ("J2", 2), ("I3", 3), ("I4", 4)):
        C = _covariances(p, rng)[0]
        fine = getattr(G, f"quad_{kind}")(name, C, n=2 * G.QUAD_POINTS[2 if kind == "I3" else p])
        assert abs(float(getattr(G, kind)(name, C)) - float(fine)) < G.QUAD_ACCURACY["smooth_I4" if kind == "I4" else "smooth"]


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_the_kinked_I4_rule_agrees_with_a_rule_of_sixteen_times_the_points(name, report):
    """The stated accuracy of the quasi-Monte-Carlo I4 (QUAD_ACCURACY['kinked']), beyond what Monte
    Carlo resolves, on 60 random covariances (the singular u3 = u1 ones included). The error has a
    heavy tail: with 2^11 points the largest of these 60 is 1.9e-3 and the median ~3e-4."""
    rng = np.random.default_rng(11)
    Cs = [C for _ in range(20) for C in _covariances(4, rng)]
    worst = max(abs(float(G.I4(name, C)) - float(G.quad_I4(name, C, n=G.KINK_POINTS_4D + 4))) for C in Cs)
    report(f"{name} I4, 2^{G.KINK_POINTS_4D} points: max |value - value with 16x the points| = {worst:.1e}")
    assert worst < G.QUAD_ACCURACY["kinked"]

"""The order-parameter ODEs of online SGD in the teacher-student setup (Saad & Solla 1995; Goldt et al. 2019).

Setting. Inputs x ~ N(0, I_d); teacher phi*(x) = sum_m v*_m g(nu_m), nu_m = w*_m . x / sqrt(d), M units;
student phi(x) = sum_k v_k g(lambda_k), lambda_k = w_k . x / sqrt(d), K units; label y = phi*(x) + sigma z,
z ~ N(0, 1). One fresh sample per step mu, loss (phi - y)^2 / 2, Delta = phi(x) - y:

    w_k <- w_k - (eta / sqrt(d)) v_k g'(lambda_k) Delta x          (first layer)
    v_k <- v_k - (eta_v / d) g(lambda_k) Delta                       (second layer; eta_v = 0: frozen)

This is Goldt et al.'s scaling (equivalently Saad & Solla's eta / d on weights J = w / sqrt(d) of norm O(1)).
With alpha = mu / d, the overlaps Q = W W^T / d, R = W W*^T / d, T = W* W*^T / d and v obey, as d -> inf,

    dR_in/dalpha = eta v_i E[g'(lambda_i) nu_n (y - phi)]
    dQ_ik/dalpha = eta v_i E[g'(lambda_i) lambda_k (y - phi)] + eta v_k E[g'(lambda_k) lambda_i (y - phi)]
                   + eta^2 v_i v_k E[g'(lambda_i) g'(lambda_k) (y - phi)^2]
    dv_i/dalpha  = eta_v E[g(lambda_i) (y - phi)]

and each average is a sum of the integrals of :mod:`twolayer.theory.gaussian` over the covariance
Omega = [[Q, R], [R^T, T]] of (lambda, nu): with c = (v, -v*) over the K + M units u = (lambda, nu),
y - phi = -sum_a c_a g(u_a) + sigma z, so

    E[g'(u_i) u_b (y - phi)]            = -sum_a c_a I3(i, b, a)
    E[g'(u_i) g'(u_k) (y - phi)^2]      =  sum_ab c_a c_b I4(i, k, a, b) + sigma^2 J2(i, k)
    E[g(u_i) (y - phi)]                 = -sum_a c_a I2(i, a)

The eta^2 term comes from |x|^2 / d -> 1 in the square of the update. The generalisation error is
eps_g = E[(phi - phi*)^2] / 2 = (1/2) sum_ab c_a c_b I2(a, b) (noise-free).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from . import gaussian


def covariance(Q, R, T):
    """Omega = [[Q, R], [R^T, T]], the covariance of (lambda_1..K, nu_1..M); (K + M, K + M)."""
    return np.block([[Q, R], [np.asarray(R).T, T]])


def _batch(Omega, idx):
    """Covariances of the index tuples ``idx`` (B, p): Omega[idx_b, idx_b], shape (B, p, p)."""
    return Omega[idx[:, :, None], idx[:, None, :]]


def order_parameters(W, Wt):
    """Q (K, K), R (K, M), T (M, M) of the first-layer weights W (K, d) and Wt (M, d)."""
    d = W.shape[1]
    return W @ W.T / d, W @ Wt.T / d, Wt @ Wt.T / d


def eps_g(Q, R, T, v, vt, activation: str = "erf", slope: float = 0.01) -> float:
    """The generalisation error (1/2) E[(phi - phi*)^2] of the overlaps (noise-free labels)."""
    Omega = covariance(np.asarray(Q, float), np.asarray(R, float), np.asarray(T, float))
    L = Omega.shape[0]
    idx = np.array([(a, b) for a in range(L) for b in range(L)])
    I2 = gaussian.I2(activation, _batch(Omega, idx), slope).reshape(L, L)
    c = np.concatenate([np.asarray(v, float), -np.asarray(vt, float)])
    return 0.5 * float(c @ I2 @ c)


class OnlineODE:
    """The right-hand side of the ODEs for K student and M teacher units.

    Parameters
    ----------
    K, M : int
        Student and teacher widths.
    T : (M, M) array
        The teacher's overlaps W* W*^T / d.
    vt : (M,) array
        The teacher's second layer v*.
    activation : str
        One of :data:`twolayer.theory.gaussian.ACTIVATIONS` (student and teacher alike).
    lr, lr_v : float
        eta (first layer) and eta_v (second layer; 0 = frozen second layer, the soft committee machine).
    sigma : float
        Standard deviation of the label noise.
    """

    def __init__(self, K, M, T, vt, activation="erf", lr=0.5, lr_v=0.0, sigma=0.0, slope=0.01):
        self.K, self.M = int(K), int(M)
        self.T, self.vt = np.asarray(T, float), np.asarray(vt, float)
        self.activation, self.lr, self.lr_v, self.sigma, self.slope = activation, lr, lr_v, sigma, slope
        K, L = self.K, self.K + self.M
        self.idx2 = np.array([(a, b) for a in range(L) for b in range(L)])
        self.idx3 = np.array([(i, b, a) for i in range(K) for b in range(L) for a in range(L)])
        self.idx4 = np.array([(i, k, a, b) for i in range(K) for k in range(i, K) for a in range(L) for b in range(a, L)])
        self.idxj = np.array([(i, k) for i in range(K) for k in range(K)])

    def pack(self, Q, R, v):
        return np.concatenate([np.ravel(Q), np.ravel(R), np.ravel(v)])

    def unpack(self, y):
        K, M = self.K, self.M
        Q = y[:K * K].reshape(K, K)
        return 0.5 * (Q + Q.T), y[K * K:K * K + K * M].reshape(K, M), y[K * K + K * M:]

    def derivatives(self, Q, R, v):
        """dQ/dalpha (K, K), dR/dalpha (K, M), dv/dalpha (K,)."""
        K, L, g, s = self.K, self.K + self.M, self.activation, self.slope
        Omega = covariance(Q, R, self.T)
        c = np.concatenate([v, -self.vt])
        I3 = gaussian.I3(g, _batch(Omega, self.idx3), s).reshape(K, L, L)       # [i, b, a]
        drive = -I3 @ c                                                          # E[g'(u_i) u_b (y - phi)]: (K, L)
        dR = self.lr * v[:, None] * drive[:, K:]
        dQ = self.lr * (v[:, None] * drive[:, :K] + (v[:, None] * drive[:, :K]).T)
        if self.lr:
            I4 = np.zeros((K, K, L, L))
            vals = gaussian.I4(g, _batch(Omega, self.idx4), s)
            i, k, a, b = self.idx4.T
            I4[i, k, a, b] = vals
            I4[k, i, a, b] = vals
            I4[i, k, b, a] = vals
            I4[k, i, b, a] = vals
            sq = np.einsum("ikab,a,b->ik", I4, c, c)
            if self.sigma:
                sq = sq + self.sigma ** 2 * gaussian.J2(g, _batch(Omega, self.idxj), s).reshape(K, K)
            dQ = dQ + self.lr ** 2 * np.outer(v, v) * sq
        dv = np.zeros(K)
        if self.lr_v:
            I2 = gaussian.I2(g, _batch(Omega, self.idx2), s).reshape(L, L)
            dv = -self.lr_v * (I2[:K] @ c)
        return dQ, dR, dv

    def __call__(self, alpha, y):
        dQ, dR, dv = self.derivatives(*self.unpack(y))
        return self.pack(dQ, dR, dv)

    def eps(self, Q, R, v) -> float:
        return eps_g(Q, R, self.T, v, self.vt, self.activation, self.slope)


def integrate(Q0, R0, T, v0, vt, alphas, activation="erf", lr=0.5, lr_v=0.0, sigma=0.0, slope=0.01,
              rtol=1e-8, atol=1e-10, method="LSODA") -> dict:
    """Integrate the ODEs from (Q0, R0, v0) and report them at the times ``alphas``.

    Parameters
    ----------
    Q0 (K, K), R0 (K, M), T (M, M), v0 (K,), vt (M,) : arrays
        Initial overlaps and second layers; T and vt stay fixed.
    alphas : (n,) increasing array, alphas[0] >= 0
        Times alpha = steps / d at which to report.

    Returns
    -------
    dict
        ``alpha`` (n,), ``Q`` (n, K, K), ``R`` (n, K, M), ``v`` (n, K), ``eps`` (n,) and ``status``
        (solve_ivp's message; the arrays are NaN past a failure).
    """
    Q0, R0, v0 = (np.asarray(a, float) for a in (Q0, R0, v0))
    K, M = R0.shape
    ode = OnlineODE(K, M, T, vt, activation, lr, lr_v, sigma, slope)
    alphas = np.asarray(alphas, float)
    sol = solve_ivp(ode, (0.0, float(alphas[-1])), ode.pack(Q0, R0, v0), t_eval=alphas, method=method,
                    rtol=rtol, atol=atol)
    n = len(alphas)
    Q, R, v, eps = np.full((n, K, K), np.nan), np.full((n, K, M), np.nan), np.full((n, K), np.nan), np.full(n, np.nan)
    for j in range(sol.y.shape[1]):
        Q[j], R[j], v[j] = ode.unpack(sol.y[:, j])
        eps[j] = ode.eps(Q[j], R[j], v[j])
    return {"alpha": alphas, "Q": Q, "R": R, "v": v, "eps": eps, "status": str(sol.message)}


def fixed_point_growth_rate(Q, R, T, v, vt, activation="erf", lr=0.5, lr_v=0.0, sigma=0.0, slope=0.01,
                            h: float = 1e-6) -> float:
    """The largest real part of the eigenvalues of the ODE's Jacobian at the state (Q, R, v), by central
    differences over the independent entries (Q symmetric): at a plateau's fixed point, the rate at
    which a small deviation grows, so the plateau lasts about ln(1 / deviation) / rate."""
    Q, R, v = (np.asarray(a, float) for a in (Q, R, v))
    K, M = R.shape
    ode = OnlineODE(K, M, T, vt, activation, lr, lr_v, sigma, slope)
    iu = np.triu_indices(K)
    n_q = len(iu[0])

    def flat(Qm, Rm, vm):
        return np.concatenate([Qm[iu], Rm.ravel(), vm])

    def state(z):
        Qm = np.zeros((K, K))
        Qm[iu] = z[:n_q]
        Qm = Qm + np.triu(Qm, 1).T
        return Qm, z[n_q:n_q + K * M].reshape(K, M), z[n_q + K * M:]

    z0 = flat(Q, R, v)
    keep = np.arange(len(z0)) if lr_v else np.arange(n_q + K * M)     # a frozen v is no degree of freedom
    J = np.zeros((len(keep), len(keep)))
    for col, j in enumerate(keep):
        e = np.zeros_like(z0)
        e[j] = h
        fp = flat(*ode.derivatives(*state(z0 + e)))
        fm = flat(*ode.derivatives(*state(z0 - e)))
        J[:, col] = ((fp - fm) / (2 * h))[keep]
    return float(np.max(np.linalg.eigvals(J).real))

"""The BLAS path for large data: minibatch SGD of a two-layer classifier with biases in both layers,
in float32 (or float64), where every step is a handful of matrix products.

The model (seed 004, Problem 3.3) is
    logits(x) = A^T phi(W x + c) + b,      phi(z) = max(z, gamma z)  (leaky ReLU, 0 < gamma <= 1)
with W (m, d), c (m,), A (m, K), b (K,), trained on the mean cross-entropy
    L = (1/B) sum_i [log sum_k exp(logits_ik) - logits_{i, y_i}].
For a batch X (B, d) with Z = X W^T + c, H = phi(Z), P = softmax(H A + b) and G = (P - onehot(y)) / B:
    dL/dA = H^T G,  dL/db = sum_i G_i,  dL/dZ = (G A^T) * phi'(Z),  dL/dW = (dL/dZ)^T X,  dL/dc = sum_i (dL/dZ)_i.
Without b (b = 0, frozen) this is twolayer's ``Net`` with scaling "none", bias, K outputs and the
"cross_entropy" loss; the tests hold the two to the same gradients. Minibatches follow
:func:`twolayer.optim.epoch_orders`, like the other engines.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import DivergenceError, InvalidParameter, check_finite, check_int, check_positive
from ..optim import epoch_orders, minibatches
from ..progress import Progress


@dataclass
class Classifier:
    """Parameters of the two-layer leaky-ReLU classifier (all of one float dtype)."""

    W: np.ndarray   # (m, d)
    c: np.ndarray   # (m,)
    A: np.ndarray   # (m, K)
    b: np.ndarray   # (K,)
    slope: float = 0.05

    @classmethod
    def init(cls, d: int, m: int, classes: int, std: float, *, slope: float = 0.05, seed: int = 0,
             dtype=np.float32) -> "Classifier":
        """Every parameter i.i.d. N(0, std^2), drawn in float64 from ``default_rng(seed)`` in the
        order W, c, A, b and then cast, so float32 and float64 runs start from the same point."""
        d, m, K = check_int("d", d, minimum=1), check_int("m", m, minimum=1), check_int("classes", classes, minimum=2)
        std = check_positive("std", std)
        if not 0 < slope <= 1:
            raise InvalidParameter("slope", slope, "expected the leaky-ReLU slope gamma in (0, 1]")
        rng = np.random.default_rng(seed)
        draw = [std * rng.standard_normal(shape) for shape in ((m, d), (m,), (m, K), (K,))]
        return cls(*(p.astype(dtype) for p in draw), slope=float(slope))

    @property
    def dtype(self):
        return self.W.dtype

    def params(self) -> tuple[np.ndarray, ...]:
        return self.W, self.c, self.A, self.b

    def copy(self) -> "Classifier":
        return Classifier(*(p.copy() for p in self.params()), slope=self.slope)

    def hidden(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(Z, H): pre-activations X W^T + c and activations phi(Z), shape (n, m) each."""
        Z = X @ self.W.T
        Z += self.c
        return Z, np.maximum(Z, self.slope * Z)

    def logits(self, X) -> np.ndarray:
        """(n, K) logits."""
        out = self.hidden(X)[1] @ self.A
        out += self.b
        return out

    def error(self, X, labels, chunk: int = 10000) -> float:
        """Fraction of misclassified rows of X (argmax of the logits != label), in chunks of rows."""
        wrong = sum(int(np.count_nonzero(self.logits(X[s:s + chunk]).argmax(1) != labels[s:s + chunk]))
                    for s in range(0, len(labels), chunk))
        return wrong / len(labels)


def loss_and_grad(net: Classifier, X, labels):
    """(mean cross-entropy, (dW, dc, dA, db)) on the batch (X (B, d), labels (B,) ints)."""
    B = X.shape[0]
    Z, H = net.hidden(X)
    S = H @ net.A
    S += net.b
    S -= S.max(axis=1, keepdims=True)
    rows = np.arange(B)
    true = S[rows, labels]
    np.exp(S, out=S)
    total = S.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(total[:, 0]) - true))
    S /= total
    S[rows, labels] -= 1.0
    S /= B                                               # G = (P - onehot) / B
    dA = H.T @ S
    db = S.sum(axis=0)
    dZ = S @ net.A.T
    np.multiply(dZ, net.slope, out=dZ, where=Z <= 0)
    return loss, (dZ.T @ X, dZ.sum(axis=0), dA, db)


@dataclass
class SGDRun:
    """What :func:`train_sgd` returns."""

    final: Classifier
    steps: int                                              # updates made (fewer than asked if stopped)
    W: dict[int, np.ndarray] = field(default_factory=dict)  # step -> W snapshot (m, d)
    checks: list[tuple[int, float]] = field(default_factory=list)  # (step, training error)
    losses: np.ndarray | None = None                        # minibatch loss of every step
    seconds: float = 0.0


def _check_data(net: Classifier, X, labels):
    if X.ndim != 2 or X.shape[1] != net.W.shape[1]:
        raise InvalidParameter("X", f"shape {X.shape}", f"expected (n, {net.W.shape[1]})")
    labels = np.asarray(labels)
    if labels.shape != (X.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise InvalidParameter("labels", f"{labels.dtype} array of shape {labels.shape}",
                               f"expected ({X.shape[0]},) integer classes")
    K = net.A.shape[1]
    if labels.min() < 0 or labels.max() >= K:
        raise InvalidParameter("labels", f"range {labels.min()}..{labels.max()}", f"expected classes 0..{K - 1}")
    return labels


def train_sgd(net: Classifier, X, labels, lr: float, steps: int, *, batch_size: int = 100, seed: int = 0,
              record_at=(), check_every: int | None = None, stop_below: float | None = None,
              quiet: bool = False) -> SGDRun:
    """Minibatch SGD from ``net`` (not modified) for ``steps`` updates on (X, labels).

    X must already have the network's dtype (no copy is made). Records W at the steps in
    ``record_at``; every ``check_every`` steps computes the training error on all of X and, with
    ``stop_below``, stops at the first check below it. Raises :class:`DivergenceError` at the first
    non-finite loss, naming the step and the learning rate.
    """
    lr = check_positive("lr", lr)
    steps = check_int("steps", steps, minimum=0)
    labels = _check_data(net, X, labels)
    if X.dtype != net.dtype:
        raise InvalidParameter("X", str(X.dtype), f"expected the network's dtype {net.dtype} (convert once, outside)")
    check_finite("X", X)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if batch_size > X.shape[0]:
        raise InvalidParameter("batch_size", batch_size, f"expected at most n = {X.shape[0]}")
    if stop_below is not None and check_every is None:
        raise InvalidParameter("stop_below", stop_below, "needs check_every= (how often to measure the error)")
    record = set(int(s) for s in record_at)
    full = batch_size == X.shape[0]
    per_epoch = -(-X.shape[0] // batch_size)
    batches = None if full else minibatches(epoch_orders(seed, X.shape[0], -(-steps // per_epoch)), batch_size, steps)
    cur = net.copy()
    out = SGDRun(final=cur, steps=0)
    losses = np.empty(steps)
    step_lr = np.asarray(lr, dtype=cur.dtype)
    start = time.perf_counter()
    # overflow is expected in a diverging run, which the finiteness check below reports
    with Progress(steps, "SGD (BLAS)", quiet) as bar, np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            if t in record:
                out.W[t] = cur.W.copy()
            if check_every and t % check_every == 0 and t > 0:
                out.checks.append((t, cur.error(X, labels)))
                if stop_below is not None and out.checks[-1][1] < stop_below:
                    break
            if t == steps:
                break
            if full:
                loss, grads = loss_and_grad(cur, X, labels)
            else:
                idx = next(batches)
                loss, grads = loss_and_grad(cur, X[idx], labels[idx])
            if not np.isfinite(loss):
                last = float(losses[t - 1]) if t else float("nan")
                raise DivergenceError(t, last, f"SGD with lr={lr:g} (batch {batch_size}): lower lr or the initial "
                                               f"scale")
            losses[t] = loss
            for p, g in zip(cur.params(), grads):
                g *= step_lr
                p -= g
            out.steps = t + 1
            bar.advance(t + 1)
    out.losses = losses[:out.steps]
    out.seconds = time.perf_counter() - start
    return out

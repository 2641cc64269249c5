"""The two-page report of relu-1d (seed 001): answers to Q1-Q4 and the figures of directions (a)-(f).

The sheet asks for a PDF of at most two pages with concise answers to the theory questions, the
set-ups, the figures with captions and a discussion. :func:`write_report_pdf` lays it out on two A4
pages (matplotlib's PDF backend, fixed layout). The answers are pure functions of numbers that the
experiment measured in the same run (:func:`q1_text` ... :func:`q4_text`), so they cannot disagree
with the run; the computations they quote live here too:

- Q2: :func:`min_interior_kinks` (the fewest kinks, hence neurons, of any interpolant) and
  :func:`sparse_interpolant` (an interpolant with that many kinks and one or two more neurons);
- Q3: :func:`swap_midpoint_loss` (a convexity violation along a neuron permutation).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..net import Net, scale_factor

A4 = (210 / 25.4, 297 / 25.4)      # inches: 595.3 x 841.9 pt


# -- Q2: interpolation with few neurons ---------------------------------------------------------
def _sorted_distinct(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (x, y))
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    keep = np.r_[True, np.diff(x) > 0]
    if np.any(y[1:][~keep[1:]] != y[:-1][~keep[1:]]):
        raise ValueError("an input appears twice with different labels: no function interpolates the data")
    return x[keep], y[keep]


def curvature_signs(x, y) -> np.ndarray:
    """sign(s_k - s_{k-1}) at the interior points of the sorted data, shape (n - 2,), where
    s_k = (y_{k+1} - y_k) / (x_{k+1} - x_k) is the slope of the k-th gap (0: three collinear points)."""
    x, y = _sorted_distinct(x, y)
    s = np.diff(y) / np.diff(x)
    return np.sign(np.diff(s)).astype(int)


def _runs(d: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of the maximal runs of equal non-zero entries of ``d``."""
    runs, k = [], 0
    while k < len(d):
        if d[k] == 0:
            k += 1
            continue
        start = k
        while k + 1 < len(d) and d[k + 1] == d[start]:
            k += 1
        runs.append((start, k - start + 1))
        k += 1
    return runs


def min_interior_kinks(x, y) -> int:
    """The fewest kinks inside (x_1, x_n) of any continuous piecewise-linear f with f(x_i) = y_i.

    Every interior point x_k with s_k != s_{k-1} forces a kink of the sign of s_k - s_{k-1} inside
    (x_{k-1}, x_{k+1}) (the mean slopes on the two sides differ, so f' jumps in between), and one
    kink lies in at most two such intervals, of consecutive points. So a run of L consecutive
    interior points of the same curvature sign needs ceil(L / 2) kinks, and the count is
    K* = sum over runs of ceil(L / 2); :func:`sparse_interpolant` attains it.
    """
    return int(sum((L + 1) // 2 for _, L in _runs(curvature_signs(x, y))))


def _line(x, y, j):
    """Slope and intercept of the line through sorted points j and j + 1."""
    s = (y[j + 1] - y[j]) / (x[j + 1] - x[j])
    return s, y[j] - s * x[j]


def sparse_interpolant(x, y, *, scaling: str = "mean-field", width: int | None = None) -> Net:
    """A ReLU network f(x) = s(m) sum_j a_j relu(b_j x + c_j) with f(x_i) = y_i and only
    K* = :func:`min_interior_kinks` kinks, using K* + 1 neurons (K* + 2 when no piece's line
    keeps its sign on the data interval).

    Construction (sorted distinct inputs, gap lines L_j through points j and j + 1): in each run of
    consecutive interior points of the same curvature sign, drop every other gap line (the 1st,
    3rd, ... gap inside the run); consecutive kept lines L_j, L_{j+1} meet at x_{j+1}, and kept
    lines L_j, L_{j+2} (gap j + 1 dropped) meet inside (x_{j+1}, x_{j+2}) because the curvature
    signs at x_{j+1} and x_{j+2} agree. With kinks t_1 < ... < t_K of slope changes delta_i and P_p
    the line of the p-th piece (p = 0..K), f = P_p + sum_{i <= p} delta_i relu(t_i - x) + sum_{i > p}
    delta_i relu(x - t_i) for every p (relu(z) = z + relu(-z)). The affine part P_p is one neuron,
    sign * relu(sign * P_p(x)), for the first p whose line keeps its sign on [x_1, x_n]; when no
    piece's line does, P_0 takes two neurons, relu(P_0) - relu(-P_0).

    Parameters
    ----------
    x, y : (n,) inputs and labels (repeated inputs need equal labels).
    scaling : the width factor s(m) of the returned network (its outer weights are divided by it).
    width : pad with zero neurons up to this width (default: the neurons needed).

    Returns
    -------
    Net with d = 1 and bias, interpolating the data on [x_1, x_n].
    """
    x, y = _sorted_distinct(x, y)
    n = len(x)
    if n == 1:
        neurons = [(float(y[0]), 0.0, 1.0)] if y[0] != 0 else []
        return _as_net(neurons, scaling, width)
    d = curvature_signs(x, y)
    # d[i] is the curvature at point i + 1; a run of d from index start covers points start + 1, ...,
    # and its gaps between consecutive run points are start + 1, start + 2, ...: drop every other one
    dropped = {start + 1 + 2 * i for start, L in _runs(d) for i in range(L // 2)}
    kept = [j for j in range(n - 1) if j not in dropped]
    kinks = []                     # (t, delta)
    for j, k in zip(kept[:-1], kept[1:]):
        (sj, cj), (sk, ck) = _line(x, y, j), _line(x, y, k)
        t = x[j + 1] if k == j + 1 else (ck - cj) / (sj - sk)
        if sk != sj:
            kinks.append((t, sk - sj))
    # f = P_p + sum_{i < p} delta_i relu(t_i - x) + sum_{i >= p} delta_i relu(x - t_i) for every p, where
    # P_p is the line of the p-th piece (relu(z) = z + relu(-z)); P_p is one neuron when it keeps its sign
    slope, icept = _line(x, y, kept[0])
    pieces = [(slope, icept)]
    for t, delta in kinks:
        slope, icept = slope + delta, icept - delta * t
        pieces.append((slope, icept))

    def keeps_sign(line) -> float:
        ends = line[0] * np.array([x[0], x[-1]]) + line[1]
        return 1.0 if np.all(ends >= 0) else -1.0 if np.all(ends <= 0) else 0.0

    p = next((p for p, line in enumerate(pieces) if keeps_sign(line)), None)
    line = pieces[p or 0]
    neurons = [(delta, -1.0, t) if i < (p or 0) else (delta, 1.0, -t) for i, (t, delta) in enumerate(kinks)]
    sign = keeps_sign(line)
    if not (line[0] or line[1]):
        affine = []
    elif sign:
        affine = [(sign, sign * line[0], sign * line[1])]
    else:
        affine = [(1.0, line[0], line[1]), (-1.0, -line[0], -line[1])]
    return _as_net([*affine, *neurons], scaling, width)


def _as_net(neurons: list, scaling: str, width: int | None) -> Net:
    m = max(len(neurons), 1 if width is None else int(width))
    a, b, c = np.zeros(m), np.zeros(m), np.zeros(m)
    for j, (aj, bj, cj) in enumerate(neurons):
        a[j], b[j], c[j] = aj, bj, cj
    return Net(a / scale_factor(scaling, m), b[:, None], c, "relu", scaling)


def needed_width(net: Net) -> int:
    """Neurons of ``net`` with a non-zero outer weight."""
    return int(np.count_nonzero(net.a))


# -- Q3: a convexity violation ---------------------------------------------------------------------
def half_mse(net: Net, X, y) -> float:
    """L(w) = 1/(2n) sum_i (f(x_i) - y_i)^2."""
    return float(0.5 * np.mean((net(X) - y) ** 2))


def swap_midpoint_loss(net: Net, X, y, *, candidates: int = 12) -> dict:
    """L at w, at Pw (neurons i and j swapped: the same function) and at (w + Pw) / 2, for the pair
    (i, j) among the ``candidates`` neurons of largest |a_j| ||(b_j, c_j)|| that makes the midpoint
    loss largest. Convexity would need L((w + Pw)/2) <= L(w) for every pair.

    Returns {"loss": L(w), "loss_swapped": L(Pw), "loss_mid": L((w + Pw)/2), "pair": [i, j]}.
    """
    size = np.abs(net.a) * np.hypot(net.W[:, 0], net.c)
    top = np.argsort(-size, kind="stable")[:candidates]
    best = None
    for p, i in enumerate(top):
        for j in top[p + 1:]:
            mid = _swap_average(net, int(i), int(j))
            loss = half_mse(mid, X, y)
            if best is None or loss > best[0]:
                best = (loss, int(i), int(j))
    loss = half_mse(net, X, y)
    if best is None:
        return {"loss": loss, "loss_swapped": loss, "loss_mid": loss, "pair": []}
    swapped = _swap(net, best[1], best[2])
    return {"loss": loss, "loss_swapped": half_mse(swapped, X, y), "loss_mid": best[0], "pair": [best[1], best[2]]}


def _swap(net: Net, i: int, j: int) -> Net:
    a, W, c = net.a.copy(), net.W.copy(), net.c.copy()
    for v in (a, W, c):
        v[[i, j]] = v[[j, i]]
    return Net(a, W, c, net.activation, net.scaling, net.slope)


def _swap_average(net: Net, i: int, j: int) -> Net:
    a, W, c = net.a.copy(), net.W.copy(), net.c.copy()
    for v in (a, W, c):
        v[[i, j]] = 0.5 * (v[i] + v[j])
    return Net(a, W, c, net.activation, net.scaling, net.slope)


# -- the answers, from the measured numbers --------------------------------------------------------
def q1_text(q: dict) -> str:
    """Q1 from ``min_preactivation`` (smallest |b_j x_i + c_j| of the final GD network), ``width``, ``n``."""
    return ("No: relu(z) = max{0, z} is differentiable except at z = 0, where its left derivative is 0 and its "
            "right derivative 1; being convex, it has the subdifferential [0, 1] there. In practice one takes any "
            "value in [0, 1] as relu'(0) (here 0, as PyTorch does): back-propagation then returns the gradient "
            "wherever L is differentiable, i.e. for almost every w, since a kink is met only when b_j x_i + c_j = 0 "
            "exactly, a set of measure zero. With a random initialisation this essentially never happens; and "
            "if it does, the choice changes one step only. Measured: at the end of GD in (a), the smallest "
            f"|b_j x_i + c_j| over the m = {q['width']} neurons and n = {q['n']} training points is "
            f"{q['min_preactivation']:.2g}, and no pre-activation is exactly 0.")


def q2_text(q: dict) -> str:
    """Q2 from the data's ``n``, ``kstar`` (:func:`min_interior_kinks`), ``sparse_width`` and
    ``sparse_error`` (:func:`sparse_interpolant`), ``dense_error`` (the n-neuron interpolant) and
    ``gap`` (the largest difference between the two interpolants between data points)."""
    k, w = q["kstar"], q["sparse_width"]
    middle = (f"so the smallest interpolating width is exactly {k}" if w == k else
              f"so the smallest interpolating width is {k} or {w} (not settled here)" if w == k + 1 else
              f"so the smallest interpolating width lies in [{k}, {w}]")
    return ("f_w is continuous and piecewise linear with at most m kinks (neuron j bends f at -c_j/b_j by "
            "a_j|b_j|/m). Sort the n inputs; s_k is the slope between points k and k+1. Wherever s_k != s_{k-1}, "
            "any interpolant has a kink of that sign in (x_{k-1}, x_{k+1}), and one kink serves at most two "
            "consecutive such points of equal sign: interpolation needs m >= K* = sum over runs of equal "
            f"curvature sign of ceil(length/2). For our n = {q['n']} points K* = {k}: no w* exists for m < {k}. "
            f"Conversely, following every other gap line inside each run gives an interpolant with K* kinks and "
            f"{w} neurons (max |f(x_i) - y_i| = {q['sparse_error']:.1g}), {middle}; extra neurons take a_j = 0. "
            "For every m >= n one explicit w* is: x_1 < ... < x_n, a_1 = m(y_1 - s_1), (b_1, c_1) = (0, 1); "
            "a_2 = m s_1, (b_2, c_2) = (1, 1 - x_1); a_k = m(s_{k-1} - s_{k-2}), (b_k, c_k) = (1, -x_{k-1}) for "
            f"k = 3..n, other a_j = 0 (the piecewise-linear interpolant; error {q['dense_error']:.1g}). "
            "w* is never unique: permuting neurons, rescaling (a_j, b_j, c_j) -> (a_j/r, r b_j, r c_j) with r > 0, "
            "and any (b_j, c_j) of a neuron with a_j = 0 keep f; and f itself is not unique: the two interpolants "
            f"above differ by up to {q['gap']:.2g} between data points.")


def q3_text(q: dict) -> str:
    """Q3 from the swap check (``loss``, ``loss_swapped``, ``loss_mid``), and GD's ``epochs``,
    ``final_loss`` (mean over seeds), ``decade_ratio`` (loss at epochs/10 over the final loss) and
    ``grad_norm`` (final gradient norm)."""
    violated = q["loss_mid"] > max(q["loss"], q["loss_swapped"])
    check = (f"swapping two neurons of the final GD network of (a) gives the same function, L(w) = L(Pw) = "
             f"{q['loss']:.3g}, but L((w + Pw)/2) = {q['loss_mid']:.3g} > L(w): convexity fails."
             if violated else
             f"here the swap check found no violation (L(w) = {q['loss']:.3g}, L((w + Pw)/2) = {q['loss_mid']:.3g}); "
             "the argument below still holds for generic w.")
    moving = ("it is still descending" if q["decade_ratio"] > 1.1 else "its loss has nearly stopped decreasing")
    return ("No. L is invariant under permutations of the neurons, and a convex function with two distinct "
            "minimisers w*, Pw* would also be minimal at their midpoint, which in general does not interpolate; "
            f"measured: {check} Moreover w = 0 is a critical point that is not a minimiser (Q4). Since L is "
            "non-convex and only piecewise smooth, GD with a small step can only be expected to approach a "
            "(Clarke) critical point: a global or a spurious local minimum, or a saddle; from a random "
            "initialisation it avoids strict saddles almost surely, and wide networks usually reach a low loss "
            f"without guarantee. In (a), after {q['epochs']} epochs, GD is at training loss {q['final_loss']:.3g} "
            f"(interpolation, loss 0, is possible at this width), gradient norm {q['grad_norm']:.2g}; the loss fell "
            f"{q['decade_ratio']:.3g}x over the last decade of epochs: {moving}.")


def q4_text(q: dict) -> str:
    """Q4 from the zero-initialisation runs: ``steps``, ``gd_norm``, ``sgd_norm``, ``gd_loss``,
    ``sgd_loss``, ``loss_zero`` = L(0), and the run from a = 0 only: ``outer_zero_loss``."""
    stuck = q["gd_norm"] == 0 and q["sgd_norm"] == 0
    measured = (f"after {q['steps']} GD and SGD steps from w = 0, ||w|| = {q['gd_norm']:g} and {q['sgd_norm']:g}, and "
                f"the loss is still L(0) = (1/2n) sum y_i^2 = {q['loss_zero']:.4g} ({q['gd_loss']:.4g}, "
                f"{q['sgd_loss']:.4g})" if stuck else
                f"from w = 0 the runs moved (||w|| = {q['gd_norm']:.3g}, {q['sgd_norm']:.3g}): check relu'(0)")
    return ("Nothing happens: at w = 0, dL/da_j = (1/(mn)) sum_i (f(x_i) - y_i) relu(b_j x_i + c_j) = 0 since "
            "relu(0) = 0, and dL/db_j, dL/dc_j carry the factor a_j = 0, whatever value relu'(0) is given. So w = 0 "
            "is a critical point (not a minimum) and GD stays there forever; so does SGD, each minibatch gradient "
            f"being 0 too. Measured: {measured}. Zeroing only the outer layer is harmless (dL/da_j != 0 at once: "
            f"from a = 0 and random (b, c), GD reaches loss {q['outer_zero_loss']:.3g} in {q['steps']} steps), and a "
            "constant non-zero initialisation keeps all neurons equal forever (the network acts as width 1): "
            "random initialisation breaks this symmetry.")


# -- layout ------------------------------------------------------------------------------------------
def _visible_length(token: str) -> int:
    """Characters a token takes on the page ($...$ mathtext counted without its commands)."""
    if "$" not in token:
        return len(token)
    return len(re.sub(r"\\[a-zA-Z]+|[{}$^_]", "", token))


def wrap(text: str, width: int) -> list[str]:
    """Greedy line wrap at ``width`` visible characters, never inside $...$."""
    tokens = re.findall(r"\$[^$]*\$\S*|\S+", text)
    lines, line, used = [], [], 0
    for tok in tokens:
        n = _visible_length(tok)
        if line and used + 1 + n > width:
            lines.append(" ".join(line))
            line, used = [], 0
        used += n + (1 if line else 0)
        line.append(tok)
    if line:
        lines.append(" ".join(line))
    return lines


FONT = 6.6          # points, body text
CHARS = 166         # visible characters per full-width line at FONT (DejaVu Sans)
LINE = FONT * 1.32 / 72 / A4[1]    # line height as a fraction of the page


def _paragraph(fig, y: float, text: str, *, bold: str = "", size: float = FONT, chars: int = CHARS) -> float:
    """Draw ``bold`` (a heading, on its own line) and ``text`` wrapped from height ``y`` (page
    fraction) down; return the height where the next block starts."""
    left = LEFT
    if bold:
        fig.text(left, y, bold, fontsize=size + 0.4, fontweight="bold", va="top", ha="left")
        y -= LINE * (size + 0.4) / FONT * 1.05
    lines = wrap(text, int(chars * FONT / size))
    fig.text(left, y, "\n".join(lines), fontsize=size, va="top", ha="left", linespacing=1.25)
    return y - LINE * size / FONT * len(lines) - 0.25 * LINE


CAPTION = 6.2      # points, figure captions
LEFT, RIGHT = 0.045, 0.965


def _caption_lines(number: int, caption: str) -> list[str]:
    return wrap(f"Figure {number}. {caption}", int(CHARS * FONT / CAPTION))


def _row_heights(images: list, captions: list, space: float, cap: float = 0.235) -> list[float]:
    """Image heights (page fractions) that fill ``space`` with the images at their aspect ratios,
    each at most the page width and ``cap`` high, and the captions under them."""
    width_in = (RIGHT - LEFT) * A4[0]
    natural = [min(width_in * img.shape[0] / img.shape[1] / A4[1], cap) for img in images]
    text = sum(LINE * CAPTION / FONT * len(c) + 0.012 for c in captions)
    scale = min(1.0, max(space - text, 0.05) / sum(natural))
    return [h * scale for h in natural]


def _image_row(fig, top: float, img, height: float, caption: list[str]) -> float:
    """A saved figure (image array) centred under ``top``, its caption underneath; returns the
    height where the next row starts."""
    width = height * A4[1] * img.shape[1] / img.shape[0] / A4[0]
    ax = fig.add_axes([0.5 * (LEFT + RIGHT) - width / 2, top - height, width, height])
    ax.imshow(img, interpolation="none")       # embedded at the PNG's own resolution
    ax.set_axis_off()
    y = top - height - 0.003
    fig.text(LEFT, y, "\n".join(caption), fontsize=CAPTION, va="top", ha="left", linespacing=1.25)
    return y - LINE * CAPTION / FONT * len(caption) - 0.009


def _read_rgb(png) -> np.ndarray:
    """A PNG as an (H, W, 3) uint8 array (no float conversion: matplotlib embeds it as it is)."""
    from PIL import Image

    with Image.open(png) as img:
        return np.asarray(img.convert("RGB"))


def write_report_pdf(path, *, title: str, intro: str, answers: list, pages: list, closing: str = "") -> Path:
    """Write the two-page A4 report.

    Parameters
    ----------
    path : the PDF to write.
    title, intro : heading and set-up paragraph at the top of page 1.
    answers : [(heading, text)] set after the intro on page 1.
    pages : two lists of figure rows (png, caption): the first fills page 1 under the answers, the
        second page 2; ``png`` is a saved figure (e.g. figures/NAME.png), embedded at its resolution.
    closing : a paragraph at the foot of page 1 (the discussion).
    """
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    number = 0
    with plt.rc_context({"figure.constrained_layout.use": False, "pdf.compression": 6}), \
            PdfPages(path, metadata={"Title": title}) as pdf:
        for p, rows in enumerate(pages):
            fig = plt.figure(figsize=A4)
            y = 0.975
            if p == 0:
                fig.text(0.5, y, title, fontsize=9.5, fontweight="bold", ha="center", va="top")
                y = _paragraph(fig, y - 0.02, intro)
                for heading, text in answers:
                    y = _paragraph(fig, y, text, bold=heading)
            bottom = 0.02
            if p == 0 and closing:
                bottom = 0.02 + LINE * (len(wrap(closing, CHARS)) + 1.5)
                _paragraph(fig, bottom - 0.004, closing, bold="Discussion: what the six experiments show")
            images = [_read_rgb(png) for png, _ in rows]
            captions = [_caption_lines(number + r + 1, caption) for r, (_, caption) in enumerate(rows)]
            heights = _row_heights(images, captions, y - 0.005 - bottom) if rows else []
            y -= 0.004
            for img, height, cap in zip(images, heights, captions):
                number += 1
                y = _image_row(fig, y, img, height, cap)
            fig.text(0.5, 0.008, f"page {p + 1} of {len(pages)}", fontsize=5.5, ha="center", va="bottom", color="0.4")
            pdf.savefig(fig)
            plt.close(fig)
    return path


def pdf_page_count(path) -> int:
    """Pages of a PDF written by matplotlib (its page objects, ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page\b", Path(path).read_bytes()))


__all__ = ["curvature_signs", "min_interior_kinks", "sparse_interpolant", "needed_width", "half_mse",
           "swap_midpoint_loss", "q1_text", "q2_text", "q3_text", "q4_text", "wrap", "write_report_pdf",
           "pdf_page_count", "A4"]

"""save_figure's shortcuts (one layout, one draw per file, shared tick and math-text work) write the
same files as matplotlib's own saving does."""

import numpy as np

from twolayer.plots import new_figure, save_figure


def busy_figure():
    """Log axes with minor ticks and math-text labels, a twin axis, titles, legends, a colour bar,
    an image with equal aspect: the things whose layout and ticks the shortcuts touch."""
    rng = np.random.default_rng(0)
    fig, axes = new_figure(3, 2, width=3.0, height=2.5)
    t = np.logspace(0, 4, 200)
    for k, ax in enumerate(axes.flat[:5]):
        ax.plot(t, np.exp(-t / 10 ** (k % 4)) + 1e-6, label=r"$\|w_j\|$")
        ax.set_yscale("log")
        if k % 2:
            ax.set_xscale("log")
        ax.set_title(f"panel {k}: $\\lambda = 10^{{{-k}}}$")
        ax.legend(fontsize=7)
    twin = axes[0, 0].twinx()
    twin.plot(t, np.sin(t), color="C1")
    twin.set_ylabel(r"$h_\theta(x)$")
    im = axes[1, 2].imshow(rng.normal(size=(20, 20)), aspect="equal")
    fig.colorbar(im, ax=axes[1, 2], label="f(x)")
    axes[1, 1].set_xlabel("epoch")
    fig.suptitle("a busy figure")
    return fig


def test_save_figure_writes_what_matplotlib_writes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")        # a reproducible PDF
    save_figure(busy_figure(), tmp_path / "ours", "fig")
    fig = busy_figure()                                  # matplotlib's way: a layout draw before each file
    (tmp_path / "plain").mkdir()
    fig.savefig(tmp_path / "plain" / "fig.png", dpi=150)
    fig.set_layout_engine("none")
    fig.savefig(tmp_path / "plain" / "fig.pdf", dpi=150)
    for ext in ("png", "pdf"):
        assert (tmp_path / "ours" / f"fig.{ext}").read_bytes() == (tmp_path / "plain" / f"fig.{ext}").read_bytes(), ext


def test_the_tick_shortcut_ends_with_the_save(tmp_path):
    from matplotlib.axis import Axis

    plain = Axis._update_ticks
    save_figure(busy_figure(), tmp_path, "fig")
    assert Axis._update_ticks is plain


def test_the_math_text_shortcut_ends_with_the_save(tmp_path):
    """Importing twolayer or saving a figure leaves matplotlib's own math-text parsing in place."""
    from matplotlib import mathtext

    plain = mathtext.MathTextParser._parse_cached
    save_figure(busy_figure(), tmp_path, "fig")
    assert mathtext.MathTextParser._parse_cached is plain

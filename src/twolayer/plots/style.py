"""Figure creation and saving (PNG at 150 dpi and PDF), with a readable house style."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8,
         "axes.grid": True, "grid.alpha": 0.3, "figure.constrained_layout.use": True}


SERIES = ("k", "C2", "C4", "C1", "C5", "C6", "C8", "C9", "C7")  # leaves red and blue for data points


def series_colour(i: int) -> str:
    """Colour of the i-th curve in figures whose data points are drawn red (train) and blue (test)."""
    return SERIES[i % len(SERIES)]


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4, **kw):
    """A figure with an (nrows, ncols) grid of axes, each about width x height inches."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
    return fig, axes


def save_figure(fig, folder, name: str, dpi: int = 150) -> list[Path]:
    """Save ``fig`` as ``folder/name.png`` and ``folder/name.pdf``; close it; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.pdf"]
    with _ticks_updated_once(), _mathtext_parsed_once():
        lay_out(fig, dpi)
        fig.savefig(paths[0], dpi=dpi)
        fig.savefig(paths[1], dpi=dpi)
    plt.close(fig)
    return paths


def lay_out(fig, dpi: float) -> None:
    """Run ``fig``'s layout engine once, as a save at ``dpi`` would, then remove the engine.

    With an engine, every ``savefig`` first draws the whole figure without output just to lay it
    out (and again for the PDF even with the engine switched off by ``set_layout_engine("none")``,
    whose placeholder still counts as one): half the cost of saving. Laying out directly and
    saving without an engine draws each file once; the layout is the one the PNG's save computed
    (at the PNG's dpi, on the canvas's renderer) and holds for the PDF, which has the same size in
    inches.
    """
    from matplotlib import cbook
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine) and fig.axes:
        with cbook._setattr_cm(fig, dpi=dpi):
            try:
                engine.execute(fig)
            except ValueError:      # as Figure.draw, which ignores it
                pass
    fig._layout_engine = None       # set_layout_engine(None) would read the rc defaults instead


@contextlib.contextmanager
def _replaced(owner, name: str, make):
    """Inside the block ``owner.name`` is ``make(plain)``, a shortcut for the method ``plain`` it
    replaces; matplotlib's own method is back when the block ends, so importing twolayer changes
    nothing in the user's figures. Nothing is replaced when this matplotlib has no such method (or
    not in the form ``make`` expects: it returns None), or when an enclosing block replaced it."""
    plain = owner.__dict__.get(name)
    shortcut = None if plain is None or getattr(plain, "twolayer_shortcut", False) else make(plain)
    if shortcut is None:
        yield
        return
    shortcut.twolayer_shortcut = True
    setattr(owner, name, shortcut)
    try:
        yield
    finally:
        setattr(owner, name, plain)


def _ticks_updated_once():
    """Inside the block an axis computes its ticks (locator, formatter, tick objects) once per state.

    Matplotlib recomputes an axis's ticks each time any part of a draw or of the layout asks for
    them (the axis, each of the four spines, the title's placement, the label's placement...), about
    ten times per axis per save, with the same view limits and axes box each time. The result depends
    only on what the key below holds; while the figure is being saved none of it changes except the
    box (the layout moves the axes; the PDF is drawn at 72 dpi), which is in the key.
    """
    from matplotlib.axis import Axis

    def memoised(plain):
        memos: dict = {}       # id(axis) -> (axis, key, ticks drawn); dropped with the block

        def update_ticks(axis):
            key = (tuple(axis.get_view_interval()), axis.axes.bbox.bounds, axis.axes.figure.dpi, axis.get_scale(),
                   id(axis.major.locator), id(axis.minor.locator), id(axis.major.formatter),
                   id(axis.minor.formatter), len(axis.majorTicks), len(axis.minorTicks))
            memo = memos.get(id(axis))
            if memo is None or memo[1] != key:
                drawn = plain(axis)
                memo = memos[id(axis)] = (axis, key[:-2] + (len(axis.majorTicks), len(axis.minorTicks)), drawn)
            return list(memo[2])
        return update_ticks

    return _replaced(Axis, "_update_ticks", memoised)


_PARSES: dict = {}     # output kind ("vector" or "raster") -> a parser whose parses all saves share


@functools.lru_cache(4096)
def _shared_parse(parse, kind, *args):
    """``parse`` (matplotlib's uncached parse method) by the shared parser of output ``kind``."""
    from matplotlib import mathtext

    if kind not in _PARSES:
        _PARSES[kind] = mathtext.MathTextParser("path" if kind == "vector" else "agg")
    return parse(_PARSES[kind], *args)


def _mathtext_parsed_once():
    """Inside the block every renderer shares one cache of parsed math text.

    Matplotlib caches a parse (e.g. a log axis's tick label "$10^{-4}$") per parser, and each
    renderer has its own parser, so every figure parses its math text again for the PNG and again
    for the PDF (a tenth of the cost of saving the figures). The parse depends only on the output
    kind (raster or vector) and the arguments, so one cache per kind gives the same results.
    """
    from matplotlib import mathtext

    def shared(plain):
        parse = getattr(plain, "__wrapped__", None)     # the uncached method under matplotlib's cache
        if parse is None:
            return None

        def parse_cached(self, *args):
            kind = getattr(self, "_output_type", None)
            return plain(self, *args) if kind not in ("vector", "raster") else _shared_parse(parse, kind, *args)
        return parse_cached

    return _replaced(mathtext.MathTextParser, "_parse_cached", shared)


def label(ax, xlabel=None, ylabel=None, title=None, legend: bool = False, **legend_kw):
    """Set whichever of x label, y label and title are given; draw the legend if asked."""
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(**legend_kw)
    return ax


def log_loss_axis(ax, bottom: float | None = None, top: float = 1e12) -> None:
    """A log y axis within (bottom, top): a flagged run's curve that climbs towards overflow runs off the
    top instead of stretching the axis past what the tick locator can draw."""
    with np.errstate(over="ignore"):       # the autoscale margin of a loss near 1e300 overflows
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
    ax.set_ylim(lo if bottom is None else bottom, min(hi, top))

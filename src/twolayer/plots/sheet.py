"""A4 figure sheets: rows of panels, each row with a caption underneath, several pages in one PDF."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from .style import STYLE

A4 = (8.27, 11.69)


def figure_sheet(path, pages: list, *, title: str = "") -> Path:
    """Write a multi-page A4 PDF.

    pages : one list per page of rows ``(draws, caption)``, where ``draws`` is a list of functions
        ``draw(ax)`` (one panel each, laid out side by side) and ``caption`` a paragraph set under
        the row, prefixed "Figure k." with k counting rows across pages.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    k = 0
    with plt.rc_context({**STYLE, "font.size": 7, "axes.titlesize": 8, "axes.labelsize": 7,
                         "legend.fontsize": 6, "xtick.labelsize": 6, "ytick.labelsize": 6}), PdfPages(path) as pdf:
        for p, rows in enumerate(pages):
            fig = plt.figure(figsize=A4, layout="constrained")
            if title:
                fig.suptitle(f"{title}  (page {p + 1} of {len(pages)})", fontsize=9)
            for sub, (draws, caption) in zip(fig.subfigures(len(rows), 1), rows):
                k += 1
                gs = sub.add_gridspec(2, len(draws), height_ratios=[4.0, 1.25])
                for j, draw in enumerate(draws):
                    ax = sub.add_subplot(gs[0, j])
                    ax.grid(True, alpha=0.3)
                    draw(ax)
                cap = sub.add_subplot(gs[1, :])
                cap.axis("off")
                cap.text(0.0, 1.0, textwrap.fill(f"Figure {k}. {caption}", 128), va="top", ha="left",
                         fontsize=6.8, transform=cap.transAxes)
            pdf.savefig(fig)
            plt.close(fig)
    return path

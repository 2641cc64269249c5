"""End to end in a real headless Chromium (Debian's package, driven by Playwright with its own
binary): set a width and a scale on the page, press Start, wait for the displayed loss to fall, count
the frames drawn, save a screenshot. Skipped where no Chromium is installed, except in CI (CI=true),
where .ci/run installs it and a missing browser is a failure."""

import os
from pathlib import Path

import numpy as np
import pytest

import twolayer as tl

from twolayer.playground.browser import drive, find_chromium

CHROMIUM = find_chromium()


def test_the_page_trains_a_width_1000_network_in_a_real_browser(tmp_path, report):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium in CI: .ci/run should have installed Debian's chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    shot = tmp_path / "playground.png"
    out = drive(width=1000, log10_scale=-1.0, loss_ratio=0.1, measure_seconds=3.0, screenshot=shot,
                downloads=tmp_path)
    assert out["page_errors"] == []
    assert out["displayed_loss"] < 0.1 * out["initial_loss"]
    assert "width=1000" in out["url"] and "log10_scale=-1" in out["url"]     # the settings live in the URL
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    assert out["fps_drawn"] > 0
    h5, panels = map(Path, out["downloads"])             # the page's two download buttons
    run = tl.Trajectory.load(h5)
    assert run.W.shape[1:] == (1000, 2) and run.train_loss[-1] < 0.1 * out["initial_loss"]
    assert run.train_loss[0] == pytest.approx(out["initial_loss"], rel=1e-15) and np.all(np.diff(run.steps) > 0)
    assert panels.suffix == ".png" and panels.read_bytes().startswith(b"\x89PNG")
    report(f"playground in Chromium, teacher-2d, m = 1000: {out['fps_drawn']:.1f} frames/s drawn "
           f"({out['fps_received']:.1f} received, server cap 20; one draw {out['draw_ms']:.1f} ms); loss "
           f"{out['initial_loss']:.3g} -> {out['displayed_loss']:.3g}, below 10% after "
           f"{out['seconds_to_threshold']:.1f} s")

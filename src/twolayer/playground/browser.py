"""Drive the playground in a real headless Chromium, as a person would: open the page, set a width and
an initial scale with the controls, press Start, wait until the displayed loss has fallen, count the
frames the page draws per second, and save a screenshot.

The browser is Debian's ``chromium`` (or ``TWOLAYER_CHROMIUM``), driven through Playwright with
that binary: nothing here downloads a browser. Used by the end-to-end test, ``benchmarks/playground.py``
and the README's screenshot (``python -m twolayer.playground.browser --screenshot docs/playground.png``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import InvalidParameter

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The browser binary: ``$TWOLAYER_CHROMIUM``, else the first of :data:`CANDIDATES` on PATH."""
    given = os.environ.get("TWOLAYER_CHROMIUM")
    if given:
        return given
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


@contextmanager
def running_server(fps: float = 20.0):
    """A playground server on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    from .app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(fps=fps), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the playground server did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def drive(width: int = 1000, log10_scale: float = -1.0, problem: str = "teacher-2d", loss_ratio: float = 0.1,
          measure_seconds: float = 3.0, screenshot=None, timeout: float = 120.0, chromium: str | None = None,
          fps: float = 20.0, downloads=None) -> dict:
    """Run the page end to end; returns what it measured.

    Sets ``problem``, ``width`` and the initial-scale slider through the page's controls, presses
    Start, waits (at most ``timeout`` seconds) until the loss the page displays is below
    ``loss_ratio`` times the initial one, then counts the frames drawn over ``measure_seconds``.
    Returns ``{"initial_loss", "displayed_loss", "seconds_to_threshold", "fps_drawn", "fps_received",
    "draw_ms", "url", "page_errors"}``; saves a PNG of the page to ``screenshot`` when given. ``fps``
    is the server's cap on frames per second. With a folder ``downloads``, the page's two download
    buttons are pressed at the end and their files saved there (``"downloads"`` lists the paths).
    """
    from playwright.sync_api import sync_playwright

    binary = chromium or find_chromium()
    if binary is None:
        raise InvalidParameter("chromium", None, "no Chromium found: apt-get install chromium, or set "
                               "TWOLAYER_CHROMIUM to a Chromium binary")
    errors: list[str] = []
    with running_server(fps) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=binary, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1320, "height": 860})
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(url)
            page.wait_for_function("window.playground.schema !== null && window.playground.frame !== null")
            page.select_option("#field-problem", problem)
            page.fill("#field-width", str(width))
            page.dispatch_event("#field-width", "change")
            page.eval_on_selector("#field-log10_scale", "(el, v) => { el.value = v; "
                                  "el.dispatchEvent(new Event('input', {bubbles: true})); }", str(log10_scale))
            page.wait_for_function(
                "([m, s, p]) => { const g = window.playground; return g.settings && g.settings.width === m && "
                "g.settings.log10_scale === s && g.settings.problem === p && g.frame.step === 0 && "
                "document.querySelector('#train-loss').dataset.value !== '' && g.frame.neurons.x.length === m; }",
                arg=[width, log10_scale, problem], timeout=timeout * 1000)
            initial = float(page.get_attribute("#train-loss", "data-value"))
            page.click("#start")
            start = time.perf_counter()
            page.wait_for_function(f"Number(document.querySelector('#train-loss').dataset.value) < {loss_ratio * initial!r}",
                                   timeout=timeout * 1000, polling=50)
            reached = time.perf_counter() - start
            before = page.evaluate("({...window.playground.stats})")
            time.sleep(measure_seconds)
            after = page.evaluate("({...window.playground.stats})")
            displayed = float(page.get_attribute("#train-loss", "data-value"))
            if screenshot is not None:
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
            saved = []
            if downloads is not None:
                for button in ("#download-h5", "#download-png"):
                    with page.expect_download(timeout=timeout * 1000) as info:
                        page.click(button)
                    target = Path(downloads) / info.value.suggested_filename
                    info.value.save_as(str(target))
                    saved.append(str(target))
            result = {"initial_loss": initial, "displayed_loss": displayed, "seconds_to_threshold": reached,
                      "fps_drawn": (after["framesDrawn"] - before["framesDrawn"]) / measure_seconds,
                      "fps_received": (after["framesReceived"] - before["framesReceived"]) / measure_seconds,
                      "draw_ms": after["lastDrawMs"], "url": page.url, "page_errors": errors, "downloads": saved}
        finally:
            browser.close()
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=1000)
    p.add_argument("--log10-scale", type=float, default=-1.0)
    p.add_argument("--problem", default="teacher-2d")
    p.add_argument("--seconds", type=float, default=5.0, help="how long to count drawn frames")
    p.add_argument("--screenshot", type=Path, default=None)
    args = p.parse_args(argv)
    out = drive(args.width, args.log10_scale, args.problem, measure_seconds=args.seconds, screenshot=args.screenshot)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

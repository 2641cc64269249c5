"""Frames per second the playground page draws in a real headless Chromium while a width-1000
network trains on the 2-D teacher problem (issue 9's goal: at least 10), at the server's default cap
of 20 frames per second and with the cap raised to 60 (what the page could draw).

    python benchmarks/playground.py [--seconds 5]
"""

import argparse

from twolayer.playground.browser import drive

GOAL = 10.0

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--width", type=int, default=1000)
    args = p.parse_args()
    print(f"{'server cap':>10}  {'drawn/s':>8}  {'received/s':>10}  {'one draw':>9}  goal {GOAL:g}/s")
    for cap in (20.0, 60.0):
        out = drive(width=args.width, measure_seconds=args.seconds, fps=cap)
        print(f"{cap:>10g}  {out['fps_drawn']:>8.1f}  {out['fps_received']:>10.1f}  {out['draw_ms']:>7.1f}ms"
              f"  {'met' if out['fps_drawn'] >= GOAL else 'NOT met'}")

"""A tqdm progress bar that stays silent for short runs, off a terminal, or when asked."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


class Progress:
    """Progress to ``total`` (steps, time or runs). Shown after ``delay`` seconds, on a terminal,
    unless ``quiet``. ``advance(x)`` moves the bar to position x (cheap when called often)."""

    def __init__(self, total, desc: str, quiet: bool = False, unit: str = "step", delay: float = 2.0):
        self.total = float(total)
        self.disabled = quiet or not sys.stderr.isatty() or self.total <= 0
        self._bar = None if self.disabled else tqdm(total=total, desc=desc, unit=unit, delay=delay,
                                                     leave=False, dynamic_ncols=True)
        self._stride = self.total / 200 if self.total > 0 else 1.0
        self._next = self._stride

    def advance(self, x) -> None:
        if self._bar is not None and x >= self._next:
            target = min(x, self.total)
            self._bar.update(target - self._bar.n)
            self._next = x + self._stride

    def note(self, text: str) -> None:
        """A short status after the bar, e.g. the failures so far."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

"""Tables from a study's index: summaries over seeds, and which runs count.

A headline number rests on several seeds and shows its spread; runs that diverged or failed are
excluded from it with their count stated, never silently.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameter, closest


def check_column(df, key: str, option: str) -> None:
    """Raise :class:`InvalidParameter` naming ``option`` unless ``key`` is a column of ``df``."""
    if key not in df.columns:
        cols = [c for c in df.columns if not c.startswith("_")]
        raise InvalidParameter(option, key, "not a column of the study's table" + closest(key, cols)
                               + "; columns: " + ", ".join(cols))


def over_seeds(df, x: str, y: str, by=()) -> tuple:
    """Mean, standard deviation, min, max and count of ``y`` over the runs (seeds) that share
    ``x`` and the ``by`` columns, among runs with status "done", no flag (see
    :func:`twolayer.study.runner.flag`) and a finite ``y``.

    Returns
    -------
    summary : DataFrame
        Columns ``*by, x, mean, std, min, max, n`` sorted by ``by`` then ``x``.
    excluded : dict
        {"diverged": k, "failed": k, "nearly diverged": k, "never fitted": k, "not finite": k}: the runs
        left out and why.
    """
    import pandas as pd

    for key, option in ((x, "--x"), (y, "--y"), *((b, "--hue/--col") for b in by)):
        check_column(df, key, option)
    values = pd.to_numeric(df[y], errors="coerce")
    flags = df["flag"].fillna("") if "flag" in df else pd.Series("", index=df.index)
    done = df["status"] == "done"
    unflagged = done & (flags == "")
    finite = np.isfinite(values.to_numpy(dtype=float))
    excluded = {"diverged": int((df["status"] == "diverged").sum()), "failed": int((df["status"] == "failed").sum()),
                "nearly diverged": int((done & flags.str.startswith("nearly diverged")).sum()),
                "never fitted": int((done & flags.str.startswith("never fitted")).sum()),
                "not finite": int((unflagged & ~finite).sum())}
    done = unflagged
    keep = df[done & finite].assign(_y=values[done & finite])
    keys = [*by, x]
    summary = keep.groupby(keys, dropna=False)["_y"].agg(["mean", "std", "min", "max", "count"]).reset_index()
    summary = summary.rename(columns={"count": "n"}).sort_values(keys).reset_index(drop=True)
    summary["std"] = summary["std"].fillna(0.0)
    return summary, excluded


def excluded_text(excluded: dict) -> str:
    """E.g. "excluded: 2 diverged, 1 not finite" or "no run excluded"."""
    parts = [f"{n} {why}" for why, n in excluded.items() if n]
    return "excluded: " + ", ".join(parts) if parts else "no run excluded"


__all__ = ["over_seeds", "excluded_text", "check_column"]

"""The ``twolayer`` command: list, show, run, reproduce, redraw, train, study, warmup, playground."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import textwrap
from pathlib import Path

from .errors import DivergenceError, Interrupted, InvalidParameter, TwolayerError

EPILOG = ("User errors exit with status 2 and one line on stderr. --out never replaces a folder that "
          "twolayer did not write (see the README).")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, no usage dump
        sys.stderr.write(f"twolayer: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Help that shows every option's default."""


def integer(text: str) -> int:
    """An integer option; accepts 1e6 and 1_000_000 as well as 1000000."""
    try:
        value = float(text) if any(ch in text.lower() for ch in "e.") else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}")
    return int(value)


def number(text: str) -> float:
    """A finite real option."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _choices(names) -> str:
    return " | ".join(names)


def _key_values(items) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise InvalidParameter("--set", item, "expected KEY=VALUE")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def cmd_list(args) -> int:
    from .experiments import EXPERIMENTS

    columns = shutil.get_terminal_size((100, 24)).columns
    width = max(len(n) for n in EXPERIMENTS)
    for name in sorted(EXPERIMENTS):
        exp = EXPERIMENTS[name]
        text = f"[{exp.source or exp.seed_file}] {exp.description}"
        lines = textwrap.wrap(text, max(30, columns - width - 2))
        print(f"{name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            print(" " * (width + 2) + line)
    return 0


def cmd_show(args) -> int:
    """The experiment's description and its --set keys (type, full and quick default, range, meaning)."""
    from .experiments import get_experiment

    exp = get_experiment(args.name)
    print(f"{exp.name}: {exp.description}")
    print(f"source: {exp.source}" + (f" (seeds/{exp.seed_file})" if exp.seed_file else ""))
    print(f"usage: twolayer run {exp.name} [--quick] [--out DIR] [--seed N] [--engine ...] [--set KEY=VALUE ...]")
    print("\nsettings (--set KEY=VALUE; lists as 1,2,3):")
    rows = exp.fields()

    def shown(v):
        return ",".join(map(str, v)) if isinstance(v, tuple) else f"{v:g}" if isinstance(v, float) else str(v)

    key_w = max(len(r["key"]) for r in rows)
    for r in rows:
        quick = "" if r["quick"] == r["full"] else f" (quick: {shown(r['quick'])})"
        print(f"  {r['key']:<{key_w}}  {r['type']}, default {shown(r['full'])}{quick}; accepts {r['accepted']}")
        if r["help"]:
            print(" " * (key_w + 4) + r["help"])
    return 0


def cmd_run(args) -> int:
    from .results import run_experiment

    folder, metrics = run_experiment(args.name, quick=args.quick, out=args.out, seed=args.seed,
                                     engine=args.engine, overrides=_key_values(args.set), quiet=args.quiet,
                                     fresh=args.fresh)
    reused = " (reused: same experiment, config and code; --fresh computes again)" if metrics.get("reused") else ""
    print(f"{args.name}: results in {folder}{reused}")
    for key, value in metrics.items():
        if isinstance(value, (int, float)) or value is None:
            print(f"  {key} = {value:.6g}" if isinstance(value, float) else f"  {key} = {value}")
    for warning in metrics.get("warnings", []):
        print(f"twolayer: warning: {warning}", file=sys.stderr)
    return 0


def cmd_reproduce(args) -> int:
    from .results import reproduce

    gallery, failures = reproduce(quick=args.quick, out=args.out, engine=args.engine, quiet=args.quiet,
                                  fresh=args.fresh, jobs=args.jobs)
    print(f"gallery: {gallery.resolve()}")
    if failures:
        print(f"twolayer: error: {failures} experiment(s) failed; see the gallery", file=sys.stderr)
        return 1
    return 0


def cmd_redraw(args) -> int:
    from .adhoc import is_train_folder, redraw_train
    from .results import redraw

    config = is_train_folder(args.folder)
    if config is not None:
        folder, metrics = args.folder, redraw_train(args.folder, config)
    else:
        folder, metrics = redraw(args.folder)
    print(f"{folder}: figures and report drawn again from {metrics['runs_reused']} stored run(s), "
          f"in {metrics['redrawn_s']:.1f} s")
    return 0


def cmd_train(args) -> int:
    from .adhoc import train_adhoc

    try:
        folder, metrics = train_adhoc(args)
    except InvalidParameter as err:     # name the flag the user typed, not the library's keyword
        raise _as_flag(err, args) from None
    print(f"train: results in {folder}")
    for key in ("final_loss", "final_test_loss", "theta_norm", "relative_weight_change", "elapsed_s", "compile_s"):
        if metrics.get(key) is not None:
            print(f"  {key} = {metrics[key]:.6g}")
    for warning in metrics.get("warnings", []):
        print(f"twolayer: warning: {warning}", file=sys.stderr)
    if metrics.get("interrupted_at") is not None:
        print(f"twolayer: interrupted at {metrics['interrupted_at']}; the partial run is in {folder}", file=sys.stderr)
        return 130
    return 0


def _as_flag(err: InvalidParameter, args) -> InvalidParameter:
    flag = "--" + str(err.name).replace("_", "-")
    if hasattr(args, str(err.name)) and not str(err.name).startswith("-"):
        return InvalidParameter(flag, err.value, err.accepted)
    return err


def cmd_study_run(args) -> int:
    from .study import Study
    from .study.report import write_report

    study = Study.from_toml(args.spec, args.out, max_runs=args.max_runs)
    counts = study.run(executor=args.executor, workers=args.workers, scheduler=args.scheduler,
                       rerun_failed=args.rerun_failed, quiet=args.quiet)
    write_report(study)
    print(f"study {study.spec.name}: {counts['ran']} run(s) in {counts['elapsed_s']:.1f} s ({counts['done']} done, "
          f"{counts['diverged']} diverged, {counts['failed']} failed), {counts['skipped']} already there; "
          f"results in {study.folder}")
    return 0


def cmd_study_show(args) -> int:
    from .study import Study
    from .study.report import left_out

    study = Study.open(args.folder)
    s = study.summary()
    print(f"study {s['name']} ({study.folder})")
    for key in ("runs", "in_index", "done", "flagged", "diverged", "failed", "missing"):
        print(f"  {key:<9} {s[key]}")
    print(f"  wall time: {s['wall_s_total']:.3g} s total, {s['wall_s_median']:.3g} s median, {s['wall_s_max']:.3g} s max")
    bad = left_out(study.table())
    if len(bad):
        print("  left out of figures (first 5):")
        for _, row in bad.head(5).iterrows():
            print(f"    {row['run_id']} {row['status']}: {str(row['error'] or row['flag'])[:150]}")
    return 0


def cmd_study_plot(args) -> int:
    from .study import Study
    from .study.report import plot_study, write_report

    study = Study.open(args.folder)
    path, caption = plot_study(study, args.x, args.y, hue=args.hue, col=args.col, logx=args.logx, logy=args.logy)
    write_report(study)
    print(f"figure: {path} (and .pdf)\n{caption}")
    return 0


def add_study_commands(sub) -> None:
    st = sub.add_parser("study", help="studies: a grid of runs from a spec file, kept in a run index")
    ss = st.add_subparsers(dest="study_command", required=True, parser_class=_Parser)
    r = ss.add_parser("run", help="run what is not yet in the folder's index (resume is the default)", epilog=EPILOG)
    r.add_argument("spec", type=Path, help="the study's TOML spec (see docs/studies.md)")
    r.add_argument("--out", type=Path, default=None, help="study folder (default results/NAME)")
    r.add_argument("--executor", default="local", choices=("local", "dask"), help="where runs execute")
    r.add_argument("--scheduler", default=None, help="Dask scheduler address (default: a local cluster)")
    r.add_argument("--workers", type=integer, default=None, help="cores or Dask workers (default: all cores)")
    r.add_argument("--max-runs", type=integer, default=None, help="raise the cap on the grid size (default 100000)")
    r.add_argument("--rerun-failed", action="store_true", help="run failed runs again")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_study_run)
    sh = ss.add_parser("show", help="summary of a study folder: runs done, failed, diverged, timings")
    sh.add_argument("folder", type=Path)
    sh.set_defaults(func=cmd_study_show)
    p = ss.add_parser("plot", help="one figure from the index: mean and spread over seeds")
    p.add_argument("folder", type=Path)
    p.add_argument("--x", required=True, help="setting on the x axis (a column of the table)")
    p.add_argument("--y", required=True, help="metric on the y axis")
    p.add_argument("--hue", default=None, help="setting that splits lines")
    p.add_argument("--col", default=None, help="setting that splits panels")
    p.add_argument("--logx", action="store_true")
    p.add_argument("--logy", action="store_true")
    p.set_defaults(func=cmd_study_plot)


def cmd_warmup(args) -> int:
    import time

    from .warmup import KINDS, QUICK_KINDS, warmup

    start = time.perf_counter()
    which = "the kinds of compiled kernel `reproduce --quick` runs" if args.quick else "every kind of compiled kernel"
    print(f"twolayer warmup: compiling {which} (cached afterwards) ...")
    warmup(args.processes, quiet=args.quiet, kinds=QUICK_KINDS if args.quick else KINDS)
    print(f"twolayer warmup: done in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_playground(args) -> int:
    from .playground.app import serve

    if not 0 < args.port < 65536:
        raise InvalidParameter("--port", args.port, "expected a port number in 1 ... 65535")
    serve(args.host, args.port, open_browser=args.open)
    return 0


def add_train_options(t) -> None:
    """The flags of ``twolayer train``, with the accepted names read from the library's registries."""
    from .activations import ACTIVATIONS
    from .data import DATASETS
    from .engines import ENGINES
    from .init import INITS
    from .losses import LOSSES, REDUCTIONS
    from .net import SCALINGS

    t.add_argument("--data", default="thesis-1.1.0", help="data set: " + _choices(DATASETS) + ", or a file: "
                   "CSV/TSV with a header and a label column, .npy features (with --labels), .npz with X, y "
                   "(and X_test, y_test)")
    t.add_argument("--label", default="y", help="the label column of a CSV/TSV --data file")
    t.add_argument("--labels", default=None, help="the .npy labels of a .npy --data file")
    t.add_argument("--test", default=None, help="a test set in the format of --data (CSV, or .npy features)")
    t.add_argument("--test-labels", default=None, help="the .npy labels of a .npy --test file")
    t.add_argument("--width", type=integer, default=60, help="number of neurons m")
    t.add_argument("--activation", default="relu", help=_choices(ACTIVATIONS))
    t.add_argument("--slope", type=number, default=0.01, help="negative slope of leaky_relu")
    t.add_argument("--scaling", default="none", help="output scale: " + _choices(SCALINGS))
    t.add_argument("--bias", action="store_true", help="trainable per-neuron biases c")
    t.add_argument("--init", default="balanced", help=_choices(INITS))
    t.add_argument("--scale", type=number, default=1e-3, help="initialisation scale (inner weights)")
    t.add_argument("--outer-scale", type=number, default=None, help="scale of the outer weights (default: the init's)")
    t.add_argument("--optimizer", default="gd", help="gd | sgd | adam | flow")
    t.add_argument("--lr", type=number, default=1e-3, help="step size (gd, sgd, adam)")
    t.add_argument("--momentum", type=number, default=0.0, help="heavy-ball momentum (gd, sgd)")
    t.add_argument("--batch-size", type=integer, default=1, help="minibatch size (sgd)")
    t.add_argument("--steps", type=integer, default=20000, help="number of updates (gd, sgd, adam)")
    t.add_argument("--t-max", type=number, default=20.0, help="horizon in continuous time (flow)")
    t.add_argument("--loss", default="square", help=_choices(LOSSES))
    t.add_argument("--reduction", default=None, help=_choices(REDUCTIONS) + " (default: half_mean for square, else mean)")
    t.add_argument("--weight-decay", type=number, default=0.0, help="lambda of (lambda/2) ||theta||^2")
    t.add_argument("--trainable", default=None, help="comma list among a,W,c (default: all)")
    t.add_argument("--record-every", type=integer, default=None, help="record every k steps (default: ~500 points)")
    t.add_argument("--seed", type=integer, default=0, help="seed of the data draw (teacher-2d), and of the weight "
                   "draw and SGD order unless --init-seed / --order-seed say otherwise")
    t.add_argument("--init-seed", type=integer, default=None, help="seed of the weight draw (default: --seed)")
    t.add_argument("--order-seed", type=integer, default=None, help="seed of the SGD sample order (default: --seed)")
    t.add_argument("--out", type=Path, default=Path("results/train"), help="output folder")
    t.add_argument("--engine", default="auto", help=_choices(ENGINES))
    t.add_argument("--keep-partial", action="store_true",
                   help="on Ctrl-C, keep what was recorded so far as a results folder (exit 130)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="twolayer", description="A laboratory for the training dynamics of two-layer networks.",
                epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="list the experiments").set_defaults(func=cmd_list)
    sh = sub.add_parser("show", help="an experiment's description and its --set keys")
    sh.add_argument("name")
    sh.set_defaults(func=cmd_show)

    def common(sp, out_help):
        sp.add_argument("--quick", action="store_true", help="small, fast version (seconds)")
        sp.add_argument("--out", type=Path, default=None, help=out_help)
        sp.add_argument("--engine", default="auto", help="auto | numpy | numba (default: auto)")
        sp.add_argument("--quiet", action="store_true", help="no progress bars")
        sp.add_argument("--fresh", action="store_true",
                        help="compute again even where a complete folder of the same config and code exists")

    r = sub.add_parser("run", help="run one experiment (twolayer run NAME --help: its settings)", epilog=EPILOG)
    r.add_argument("name")
    common(r, "output folder (default results/NAME)")
    r.add_argument("--seed", type=integer, default=None, help="seed of the experiment's random draws")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field (repeatable)")
    r.set_defaults(func=cmd_run)

    rp = sub.add_parser("reproduce", help="run every experiment and write a gallery")
    common(rp, "output root (default results)")
    rp.add_argument("--jobs", type=integer, default=1,
                    help="experiments run at once, each in its own process with one Numba thread (default 1)")
    rp.set_defaults(func=cmd_reproduce, out=Path("results"))

    rd = sub.add_parser("redraw", help="draw an experiment folder's figures and report again from its stored "
                        "runs, without training")
    rd.add_argument("folder", type=Path, metavar="DIR")
    rd.set_defaults(func=cmd_redraw)

    t = sub.add_parser("train", help="an ad-hoc training run", formatter_class=_Help, epilog=EPILOG)
    add_train_options(t)
    t.set_defaults(func=cmd_train)

    add_study_commands(sub)

    w = sub.add_parser("warmup", help="compile every compiled kernel ahead, in parallel (cached afterwards)")
    w.add_argument("--processes", type=integer, default=None, help="worker processes (default: cores)")
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    w.add_argument("--quick", action="store_true",
                   help="only the kinds `twolayer reproduce --quick` runs (5 of 8; what `make run` needs)")
    w.set_defaults(func=cmd_warmup)

    pg = sub.add_parser("playground", help="a live in-browser laboratory (local web server)")
    pg.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    pg.add_argument("--port", type=integer, default=8765)
    pg.add_argument("--open", action="store_true", help="open the page in the default browser")
    pg.set_defaults(func=cmd_playground)
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) >= 3 and argv[0] == "run" and not argv[1].startswith("-") and ({"-h", "--help"} & set(argv[2:])):
        argv = ["show", argv[1]]      # twolayer run NAME --help: that experiment's settings
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()     # a broken pipe shows here, where it is handled, rather than at exit
        return code
    except DivergenceError as err:
        print(f"twolayer: error: {err}", file=sys.stderr)
        return 2
    except TwolayerError as err:
        print(f"twolayer: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        where = f" ({err})" if isinstance(err, Interrupted) else ""
        print(f"twolayer: interrupted{where}; no results folder was written (an experiment keeps the runs it "
              "finished and resumes from them when run again)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of the output went away (twolayer list | head -1): stop quietly, as Unix tools do,
        # and let the interpreter's final flush write to nowhere instead of failing again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141   # 128 + SIGPIPE, the status a shell shows for a tool a broken pipe stopped


if __name__ == "__main__":
    sys.exit(main())

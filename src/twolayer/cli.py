"""The ``twolayer`` command: list, run, reproduce, train, playground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import DivergenceError, InvalidParameter, TwolayerError

EPILOG = "User errors exit with status 2 and one line on stderr."


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, no usage dump
        sys.stderr.write(f"twolayer: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


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

    width = max(len(n) for n in EXPERIMENTS)
    for name, exp in EXPERIMENTS.items():
        print(f"{name:<{width}}  {exp.seed_file}  {exp.description}")
    return 0


def cmd_run(args) -> int:
    from .results import run_experiment

    folder, metrics = run_experiment(args.name, quick=args.quick, out=args.out, seed=args.seed,
                                     engine=args.engine, overrides=_key_values(args.set), quiet=args.quiet)
    print(f"{args.name}: results in {folder}")
    for key, value in metrics.items():
        if isinstance(value, (int, float)) or value is None:
            print(f"  {key} = {value:.6g}" if isinstance(value, float) else f"  {key} = {value}")
    return 0


def cmd_reproduce(args) -> int:
    from .results import reproduce

    gallery, failures = reproduce(quick=args.quick, out=args.out, engine=args.engine, quiet=args.quiet)
    print(f"gallery: {gallery.resolve()}")
    if failures:
        print(f"twolayer: error: {failures} experiment(s) failed; see the gallery", file=sys.stderr)
        return 1
    return 0


def cmd_train(args) -> int:
    from .adhoc import train_adhoc

    folder, metrics = train_adhoc(args)
    print(f"train: results in {folder}")
    for key in ("final_loss", "final_test_loss", "theta_norm", "relative_weight_change", "elapsed_s"):
        if metrics.get(key) is not None:
            print(f"  {key} = {metrics[key]:.6g}")
    return 0


def cmd_playground(args) -> int:
    from .playground.app import serve

    if not 0 < args.port < 65536:
        raise InvalidParameter("--port", args.port, "expected a port number in 1 ... 65535")
    serve(args.host, args.port, open_browser=args.open)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="twolayer", description="A laboratory for the training dynamics of two-layer networks.",
                epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="list the experiments").set_defaults(func=cmd_list)

    def common(sp, out_help):
        sp.add_argument("--quick", action="store_true", help="small, fast version (seconds)")
        sp.add_argument("--out", type=Path, default=None, help=out_help)
        sp.add_argument("--engine", default="auto", help="auto | numpy | numba")
        sp.add_argument("--quiet", action="store_true", help="no progress bars")

    r = sub.add_parser("run", help="run one experiment")
    r.add_argument("name")
    common(r, "output folder (default results/NAME)")
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field (repeatable)")
    r.set_defaults(func=cmd_run)

    rp = sub.add_parser("reproduce", help="run every experiment and write a gallery")
    common(rp, "output root (default results)")
    rp.set_defaults(func=cmd_reproduce, out=Path("results"))

    t = sub.add_parser("train", help="an ad-hoc training run")
    t.add_argument("--data", default="thesis-1.1.0", help="thesis-1.1.0 | thesis-1.1.1 | thesis-1.1.2 | thesis-1.1.4 | teacher-2d")
    t.add_argument("--width", type=int, default=60)
    t.add_argument("--activation", default="relu")
    t.add_argument("--slope", type=float, default=0.01, help="leaky_relu negative slope")
    t.add_argument("--scaling", default="none")
    t.add_argument("--bias", action="store_true", help="trainable per-neuron biases c")
    t.add_argument("--init", default="balanced")
    t.add_argument("--scale", type=float, default=1e-3)
    t.add_argument("--outer-scale", type=float, default=None)
    t.add_argument("--optimizer", default="gd", help="gd | sgd | adam | flow")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--momentum", type=float, default=0.0)
    t.add_argument("--batch-size", type=int, default=1)
    t.add_argument("--steps", type=int, default=20000)
    t.add_argument("--t-max", type=float, default=20.0, help="horizon of --optimizer flow")
    t.add_argument("--loss", default="square")
    t.add_argument("--reduction", default=None)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--trainable", default=None, help="comma list among a,W,c (default: all)")
    t.add_argument("--record-every", type=int, default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", type=Path, default=Path("results/train"))
    t.add_argument("--engine", default="auto")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=cmd_train)

    pg = sub.add_parser("playground", help="a live in-browser laboratory (local web server)")
    pg.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    pg.add_argument("--port", type=int, default=8765)
    pg.add_argument("--open", action="store_true", help="open the page in the default browser")
    pg.set_defaults(func=cmd_playground)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DivergenceError as err:
        print(f"twolayer: error: {err}", file=sys.stderr)
        return 2
    except TwolayerError as err:
        print(f"twolayer: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twolayer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

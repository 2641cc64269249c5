"""The thesis's findings (seed 003), each as a row with a verdict computed from stored, multi-seed runs.

A row names the thesis's figure or line, states the finding, the criterion (as strong as the
thesis's claim), what twolayer measured, and one verdict of :data:`VERDICTS`:

- "reproduced": the measured numbers satisfy the criterion in every seed (and setting) compared;
- "differs": they do not, or only partly (the measured column says how);
- "thesis contradicted": the numbers show the claim is wrong in the thesis's own setting, and
  what is true instead (the measured column says what);
- "not run": twolayer has no experiment for it yet (the row says what is missing), or the part
  that measures it was not run.

Every function here is pure: ``metrics`` maps an experiment's name to its metrics.json.
"""

from __future__ import annotations

from ..analysis.seeds import kept, spread_text

VERDICTS = ("reproduced", "differs", "thesis contradicted", "not run")


def row(rid: str, where: str, finding: str, criterion: str, measured: str, verdict: str) -> dict:
    """One finding; ``verdict`` one of :data:`VERDICTS`."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} not in {VERDICTS}")
    return {"id": rid, "where": where, "finding": finding, "criterion": criterion, "measured": measured,
            "verdict": verdict}


def ok_verdict(ok: bool) -> str:
    return "reproduced" if ok else "differs"


def _missing(rid, where, finding, part) -> dict:
    return row(rid, where, finding, "-", f"`{part}` was not run", "not run")


# -- chapter 2 and section 3.1 ------------------------------------------------------------------------
def r1(m):
    where, finding = "Fig 2.7, L1085", "ReLU on 1.1.0 from a small balanced start goes saddle to saddle: plateaus at loss 1 and 1/2"
    s = m.get("saddle-to-saddle")
    if s is None:
        return _missing("R1", where, finding, "saddle-to-saddle")
    good = [lv for c, lv in zip(s["plateau_count_seeds"], s["plateau_levels_seeds"])
            if c == 2 and abs(lv[0] - 1) < 0.02 and abs(lv[1] - 0.5) < 0.02]
    n = len(s["seeds"])
    text = (f"{len(good)} of {n} seeds: 2 plateaus at 1 and 1/2; levels {[[round(x, 4) for x in lv] for lv in good[:2]]}..."
            + (f"; flagged: {s['seeds_flagged']}" if s["seeds_flagged"] else ""))
    return row("R1", where, finding, "every seed fits with 2 plateaus at levels 1 and 0.5 (within 2%)", text,
               ok_verdict(len(good) == n))


def r2(m):
    where, finding = "L1085, [5] Thm 6", "... and ends at the minimum-norm interpolator"
    s = m.get("saddle-to-saddle")
    if s is None:
        return _missing("R2", where, finding, "saddle-to-saddle")
    gap = s["theta_norm_rel_gap_max"]
    return row("R2", where, finding, "relative norm gap < 1e-6 in every fitted seed",
               f"largest gap over {len(s['plateau_count_seeds'])} fitted seeds: "
               + ("-" if gap is None else f"{gap:.1e}"), ok_verdict(gap is not None and gap < 1e-6))


def r3(m):
    where = "Fig 3.10, L1261"
    finding = "ReLU iterates stay balanced (Lemma 5); Sigmoid and Tanh only approximately"
    a = m.get("activation-dynamics")
    if a is None:
        return _missing("R3", where, finding, "activation-dynamics")
    e = a["relative_balance_error_seeds"]
    relu_ok = bool(kept(e["relu"])) and len(kept(e["relu"])) == len(e["relu"]) and max(e["relu"]) < 1e-6
    smooth_ok = all(kept(e[x]) and min(kept(e[x])) > 1e-6 for x in ("sigmoid", "tanh"))
    return row("R3", where, finding, "ReLU l-inf balance error < 1e-6 of max ||w_j|| in every seed; Sigmoid, Tanh "
               "above it in every seed", ", ".join(f"{x} {spread_text(v, '.1e')}" for x, v in e.items()),
               ok_verdict(relu_ok and smooth_ok))


def _grows(fits, scales, rich):
    """Fit times (over scales) strictly increase as lambda falls over the fitted rich scales."""
    pts = [(s, f) for s, f in zip(scales, fits) if s <= rich and f is not None]
    return len(pts) >= 2 and all(a[1] > b[1] for a, b in zip(pts, pts[1:]))


def r4(m):
    where, finding = "Figs 3.1, C.9, L1193", "The plateaus and the time to fit grow like -ln(lambda)"
    i = m.get("init-scale-transition")
    if i is None:
        return _missing("R4", where, finding, "init-scale-transition")
    rows = i["time_to_fit_relu_seeds"]
    grows = sum(_grows(f, i["scales"], 1e-2) for f in rows)
    slopes = i["fit_time_slope_relu_seeds"]
    ok = grows == len(rows) and bool(kept(slopes)) and min(kept(slopes)) > 0
    return row("R4", where, finding, "in every seed the ReLU time to loss 0.01 increases as lambda falls (lambda <= "
               "1e-2) with a positive slope in -ln(lambda)",
               f"grows in {grows} of {len(rows)} seeds; slope {spread_text(slopes, '.0f')} epochs per unit", ok_verdict(ok))


def r5(m):
    where = "Fig 3.11, L1273"
    finding = "Model complexity is flat (minimum) for lambda <= 1e-2 and grows in the lazy regime; transition in (1e-2, 1]"
    i = m.get("init-scale-transition")
    if i is None:
        return _missing("R5", where, finding, "init-scale-transition")
    t = i["transition_scale_seeds"]
    ok = bool(t) and all(v is not None and 1e-2 < v <= 1.0 for v in t)
    return row("R5", where, finding, "in every seed the ReLU norm leaves the minimum by 5% at a scale in (1e-2, 1]",
               f"transition scales over seeds {t}", ok_verdict(ok))


def r6(m):
    where, finding = "Fig 3.6", "At lambda = 1 the neurons barely move and the model has more breakpoints"
    i = m.get("init-scale-transition")
    if i is None or 1.0 not in i["scales"]:
        return _missing("R6", where, finding, "init-scale-transition (with lambda = 1)")
    big, small = i["scales"].index(1.0), 0
    pairs = [(k[small], k[big]) for k in i["kinks_relu_seeds"] if k[small] is not None and k[big] is not None]
    more = sum(b > a for a, b in pairs)
    return row("R6", where, finding, f"more kinks at lambda = 1 than at lambda = {i['scales'][0]:g} in every seed",
               f"in {more} of {len(i['kinks_relu_seeds'])} seeds; kinks (small, 1): {pairs}",
               ok_verdict(more == len(i["kinks_relu_seeds"])))


def r7(m):
    where = "Fig 3.14, L1313"
    finding = "Switched labels (1.1.1) change nothing; same-sign labels (1.1.2) lose the intermediate plateau"
    lab = m.get("label-geometry")
    if lab is None:
        return _missing("R7", where, finding, "label-geometry")
    p = lab["labels_pattern"]
    return row("R7", where, finding, "plateaus 1.1.0 = 1.1.1 = 2 and 1.1.2 = 1 in every seed",
               f"pattern in {p['agree']} of {p['seeds']} seeds (1.1.0 {lab['plateaus_1_1_0_seeds']}, 1.1.1 "
               f"{lab['plateaus_1_1_1_seeds']}, 1.1.2 {lab['plateaus_1_1_2_seeds']})",
               ok_verdict(p["agree"] == p["seeds"] and p["seeds"] > 0))


def r8(m):
    """Both branches of section 3.2: <x_1, x_2> = -delta (obtuse: kinks at -1/x_k,1) and +delta (acute:
    the thesis says the dynamics change, so the kinks must leave -1/x_k,1)."""
    where = "section 3.2, L1467, L1480"
    finding = ("Quasi-orthogonal inputs of opposite signs: neurons align with D+ and D-, the model bends at -1/x_k,1; "
               "both positive: a new slowdown and different directions")
    lab = m.get("label-geometry")
    if lab is None:
        return _missing("R8", where, finding, "label-geometry")
    minus, plus = lab["kink_deviation_minus_seeds"], lab["kink_deviation_plus_seeds"]
    ok_minus = bool(kept(minus)) and len(kept(minus)) == len(minus) and max(minus) < 1e-6
    ok_plus = bool(kept(plus)) and min(kept(plus)) > 1e-6
    return row("R8", where, finding, "obtuse: kinks within 1e-6 of -1/x_k,1 in every seed; acute: farther than 1e-6 "
               "in every seed", f"obtuse {spread_text(minus, '.1e')}; acute {spread_text(plus, '.1e')}",
               ok_verdict(ok_minus and ok_plus))


def r9(m):
    where = "Fig C.11, L2087"
    finding = "Sigmoid, m = 600, step 1e-2: the loss spikes to 19,463 (epoch 26), then converges to zero"
    a = m.get("activation-dynamics")
    if a is None:
        return _missing("R9", where, finding, "activation-dynamics")
    peaks, finals = a["sigmoid_spike_peak_seeds"], a["sigmoid_spike_final_loss_seeds"]
    ok = (bool(kept(peaks)) and len(kept(peaks)) == len(peaks) and all(19462.8 / 2 < p < 2 * 19462.8 for p in peaks)
          and max(finals) < 1e-6)
    return row("R9", where, finding, "in every seed the peak is within a factor 2 of 19,463 and the final loss < 1e-6",
               f"peak {spread_text(peaks, '.0f')} at epoch {spread_text(a['sigmoid_spike_epoch_seeds'], '.0f')}; "
               f"final loss at most {max(kept(finals)):.1e}" if kept(finals) else "no seed recovered", ok_verdict(ok))


def r10(m):
    """Two rows: the positive label is fitted first (reproduced), and the thesis's proportionality of
    the phase lengths to 1/|y_k x_k,1| (a ratio of 100) against 1/||y_k x_k|| (10)."""
    where = "Fig 3.17, L1347"
    a = m.get("activation-dynamics")
    if a is None:
        return [_missing("R10a", where, "On 1.1.4 ReLU fits the label of x = 10 first", "activation-dynamics"),
                _missing("R10b", where, "phase lengths ~ 1/|y_k x_k,1|", "activation-dynamics")]
    fits = a["fit_times_1_1_4_seeds"]
    pos, neg = fits["positive (x = 10)"], fits["negative (x = -0.1)"]
    pairs = [(p, n) for p, n in zip(pos, neg) if p is not None and n is not None]
    sooner = sum(3 * p <= n for p, n in pairs)
    first = row("R10a", where, "On 1.1.4 ReLU fits the label of x = 10 much sooner than that of x = -0.1",
                "positive label fitted at least 3x sooner in every seed",
                f"in {sooner} of {len(pos)} seeds; epochs {pairs}", ok_verdict(sooner == len(pos) and len(pos) > 0))
    ratios = kept(a["fit_time_ratio_1_1_4_seeds"])
    pred = a["fit_time_ratio_predicted"]
    norm, thesis = pred["||y_k x_k||"], pred["thesis's |y_k x_k,1|"]
    near = lambda r, target: target / 1.5 <= r <= 1.5 * target      # noqa: E731
    if ratios and all(near(r, thesis) for r in ratios):
        verdict = "reproduced"
    elif ratios and all(near(r, norm) for r in ratios):
        verdict = "thesis contradicted"
    else:
        verdict = "differs"
    second = row("R10b", where, "... and the two fitting phases last in the ratio |y_2 x_2,1| / |y_1 x_1,1| = 100",
                 "fit-time ratio (negative / positive) within 1.5x of 100 in every seed",
                 f"ratio {spread_text(ratios, '.2f')}; the rates ||y_k x_k|| (bias included) predict {norm:.3g}, the "
                 f"thesis's |y_k x_k,1| {thesis:.3g}", verdict)
    return [first, second]


# -- sections 3.3 and 3.4 -----------------------------------------------------------------------------
def r11(m):
    where, finding = "Fig 3.27, section 3.3", "Non-orthogonal 1-D data: the rich regime's norm is near the minimum"
    n = m.get("non-orthogonal-1d")
    if n is None:
        return _missing("R11", where, finding, "non-orthogonal-1d")
    gaps = n["rich_norm_gap_seeds"]
    parts, ok, none = [], True, []
    for ds, v in gaps.items():
        k = kept(v)
        if not k:
            none.append(ds)
            continue
        parts.append(f"{ds}: +{100 * max(k):.2f}% at most ({len(k)} of {len(v)} seeds fitted)")
        ok &= max(k) < 0.1
    if none:
        parts.append(f"no rich run fitted on {', '.join(none)} (excluded: "
                     + "; ".join(f"{k}: {r}" for k, r in list(n["excluded_seeds"].items())[:3]) + " ...)")
    return row("R11", where, finding, "every data set has a fitted rich run in every seed, within 10% of the exact "
               "minimum (LP)", "; ".join(parts), ok_verdict(ok and not none and bool(parts)))


def r12(m):
    """(a) orthogonal 5-D data: the thesis says the neurons reduce to two directions; the rates of
    the groups predict a third group when two negative labels have unequal rates. (b) non-orthogonal:
    over generator seeds."""
    where = "section 3.4, Figs 3.33-3.39"
    md = m.get("multidim")
    if md is None:
        return [_missing("R12a", where, "5-D orthogonal data: two directions", "multidim"),
                _missing("R12b", where, "5-D non-orthogonal data: not two directions", "multidim")]
    e2 = md["evr2_orth_relu_spread"]
    matches = md["third_group_matches_seeds"]
    two = e2["n"] and e2["lo"] > 0.999
    if two:
        verdict = "reproduced"
    elif matches and all(x is True for x in matches):
        verdict = "thesis contradicted"
    else:
        verdict = "differs"
    pred = md["third_group_predicted"]
    a = row("R12a", where, "5-D orthogonal data: the ReLU neurons reduce to two directions",
            "two principal components explain > 0.999 in every seed",
            f"EVR2 {spread_text(md['evr2_orth_relu_seeds'], '.5f')}; a third group "
            f"{'predicted by the rates' if pred else 'not predicted'} "
            + (f"(points {[p['points'] for p in pred]}, size {pred[0]['size']:.2f} of its leader) " if pred else "")
            + f"is the measured third component in {sum(x is True for x in matches)} of {len(matches)} seeds",
            verdict)
    below, n = md["nonorth_below_orth_relu"], md["evr2_nonorth_relu_spread"]["n"]
    b = row("R12b", where, "5-D non-orthogonal data: the neurons do not reduce to two directions",
            "EVR2 below every orthogonal seed's on every fitted generator seed",
            f"EVR2 {spread_text(md['evr2_nonorth_relu_seeds'], '.4f')} over generator seeds {md['data_seeds']}; below "
            f"the orthogonal value on {below} of {n} fitted", ok_verdict(n > 0 and below == n))
    return [a, b]


# -- appendix C.1.4: the grids --------------------------------------------------------------------------
def grid_rows(m):
    g = m.get("thesis-grids")
    where = "Figs C.9, C.10, C.12, L2075-L2094"
    if g is None:
        return [_missing(i, where, f, "thesis-grids") for i, f in (
            ("C9a", "ReLU, lambda <= 1e-4: every setting converges with initial and intermediate plateaus"),
            ("C9b", "time to fit grows as lambda falls"), ("C9c", "ReLU at lambda = 100 does not converge"),
            ("C10", "Sigmoid: stable at low alpha, initial plateau only"), ("C12", "Tanh: stable in all settings"),
            ("W", "Fig 3.3: the width matters little next to lambda"), ("I", "balanced and normal starts agree"))]
    f = g["findings"]
    al = f.get("all_data_sets") or {}
    ds = f.get("dataset", "1.1.0")
    also = (lambda text: f"; over all {al['count']} data sets: {text}") if al else (lambda text: "")   # noqa: E731
    rr = f["relu_rich"]
    out = [row("C9a", "Fig C.9, L2075", "ReLU, lambda <= 1e-4: every setting converges with an initial and an "
               "intermediate plateau", f"all such runs on {ds} fit with both plateaus (the thesis's rule of C.1.4)",
               f"{ds}: {rr['both_plateaus']} of {rr['runs']} runs ({rr['not_fitted']} never fit)"
               + (also(f"{al['relu_rich']['both_plateaus']} of {al['relu_rich']['runs']}") if al else ""),
               ok_verdict(rr["holds"]))]
    gr = f["growth"]
    out.append(row("C9b", "Figs C.9, C.10, C.12, L2075", "Time to fit grows as lambda falls, for every width, step "
                   "and activation", f"on {ds}, in every (init, m, seed, alpha) series with two fitted rich scales",
                   f"{ds}: " + ", ".join(f"{a} {v['growing']} of {v['series']}" for a, v in gr.items())
                   + (also(", ".join(f"{a} {v['growing']} of {v['series']}" for a, v in al["growth"].items()))
                      if al else ""),
                   ok_verdict(all(v["growing"] == v["series"] for v in gr.values()))))
    big = f.get("relu_fitted_at_100")
    if big is not None:
        out.append(row("C9c", "L2075", "ReLU at lambda = 100 does not converge to zero loss",
                       f"no ReLU run at lambda = 100 on {ds} fits", f"{ds}: {big['fitted']} of {big['runs']} fit"
                       + (also(f"{al['relu_fitted_at_100']['fitted']} of {al['relu_fitted_at_100']['runs']}")
                          if al.get("relu_fitted_at_100") else ""), ok_verdict(big["fitted"] == 0)))
    sig = f.get("sigmoid_low_lr")
    if sig is not None:
        out.append(row("C10", "Fig C.10, L2082", "Sigmoid at low step sizes: always reaches zero loss, an initial "
                       "plateau and no intermediate one", f"every Sigmoid run on {ds} with alpha <= {sig['lr_max']:g} "
                       f"and lambda <= {sig.get('scale_max', 1e-2):g} fits with exactly one plateau",
                       f"{ds}: {sig['one_plateau']} of {sig['runs']} ({sig['not_fitted']} never fit in {g['epochs']} "
                       f"epochs, e.g. {sig['examples']})"
                       + (also(f"{al['sigmoid_low_lr']['one_plateau']} of {al['sigmoid_low_lr']['runs']}")
                          if al.get("sigmoid_low_lr") else ""), ok_verdict(sig["one_plateau"] == sig["runs"])))
    st = f["stability"].get("tanh")
    if st is not None:
        verdict = "reproduced" if not st["unstable"] else ("thesis contradicted" if st["diverged"] else "differs")
        sta = al.get("stability", {}).get("tanh")
        out.append(row("C12", "Fig C.12, L2094", "Tanh trains stably across all the hyperparameter settings",
                       f"no Tanh run on {ds} diverges or rises above 100x its initial loss",
                       (f"{ds}: {st['unstable']} of {st['runs']} unstable ({st['diverged']} diverged), e.g. "
                        + "; ".join(st["examples"][:3]) if st["unstable"] else f"{ds}: all {st['runs']} stable")
                       + (also(f"{sta['unstable']} of {sta['runs']} unstable") if sta else ""), verdict))
    w = f["width"].get("relu")
    if w is not None and w["spread_m"] is not None and w["spread_lambda"] is not None:
        ok = w["spread_m"] < w["spread_lambda"] and w["slower_when_narrower"] == w["pairs"]
        out.append(row("W", "Fig 3.3, L1201", "The width m matters little next to lambda; a smaller m needs more epochs",
                       "fit time's max/min over m below its max/min over lambda <= 1e-4; non-increasing in m",
                       f"ReLU: over m {w['widths']}: {w['fits']} (x{w['spread_m']:.2f}); over lambda x{w['spread_lambda']:.2f}; "
                       f"narrower slower in {w['slower_when_narrower']} of {w['pairs']} pairs", ok_verdict(ok)))
    ini = f.get("init") or {}
    if "relu" in ini:
        v = ini["relu"]
        out.append(row("I", "L1195, Figs 3.14, 3.17", "Balanced and normal starts give very similar training, in "
                       "the rich and the lazy regime", f"every setting: both fit with equal plateau counts and fit "
                       f"times within {v['factor']:g}x (or neither fits)", f"ReLU: {v['agree']} of {v['settings']} "
                       f"settings; largest fit-time ratio "
                       + ("-" if v["largest_ratio"] is None else f"{v['largest_ratio']:.3g}"), ok_verdict(v["agree"] == v["settings"])))
    return out


# -- appendix D -------------------------------------------------------------------------------------------
def d_rows(m):
    gc = m.get("gradient-checks")
    if gc is None:
        return [_missing("D", "appendix D", "formulas for the gradient and Hessian", "gradient-checks")]
    ad = max(v for v in gc["autodiff_grad_error_max"].values() if v is not None)
    out = [row("D1", "Figs D.1, D.3", "The closed-form gradient equals automatic differentiation along training "
               "(difference below 7e-4)", "largest l2 difference along every path < 7e-4",
               f"{ad:.1e} (complex-step differentiation, all activations and seeds)", ok_verdict(ad < 7e-4)),
           row("D2", "appendix D.2", "The closed-form Hessian of the worked Sigmoid example is the printed 6 x 6 matrix",
               "equal to its 8 printed decimals", f"max difference {gc['worked_hessian_max_error']:.1e}",
               ok_verdict(gc["worked_hessian_max_error"] < 1e-8))]
    fd, f32, printed = gc["fd_scheme_frobenius_error"], gc["fd_scheme_frobenius_error_f32act"], gc["fd_scheme_printed"]
    out.append(row("D3", "appendix D.2", f"The finite-difference Hessian (h_a = 1, h_w = 1e-4) is {printed:g} from the "
                   "exact one (Frobenius)", "our error within 10x of the printed one",
                   f"{fd:.1e} in double precision; {f32:.1e} with the activations rounded to float32",
                   ok_verdict(printed / 10 <= fd <= 10 * printed)))
    agree, f32a, n = gc["tables_cells_agree"], gc["tables_cells_agree_f32act"], gc["tables_cells_compared"]
    out.append(row("D4", "Tables D.1, D.2", "Finite-difference errors of the gradient and Hessian at random theta",
                   "every cell within 10x of the printed value", f"{agree} of {n} cells in double precision; "
                   f"{f32a} of {n} with float32 activations", ok_verdict(agree == n)))
    return out


# -- what twolayer does not run yet ----------------------------------------------------------------------
NOT_RUN = (   # (where, finding, the experiment that covers it once it is a part of the summary)
    ("Fig 2.9", "Final ReLU interpolators at lambda = 2.5, 1 and <= 1e-6", "relu-interpolators"),
    ("Figs 3.21-3.24, C.13, C.14", "S-curve fitting of Sigmoid/Tanh neurons and Conjecture 3", "s-curves"),
    ("Fig 3.16", "Data set 1.1.2 with a scaled label", "relu-interpolators"),
    ("Fig 3.19, C.19", "Effect of m and lambda on the final neuron dispositions (Sigmoid, Tanh)",
     "smooth-activations"),
    ("Figs C.15-C.18", "1.1.4 with c = 75, m = 60, alpha = 1e-4 (Sigmoid, Tanh)", "s-curves"),
    ("Fig C.3", "Each a_j over the epochs at m = 1000", "smooth-activations"),
    ("Figs C.4-C.7", "Transition windows for Sigmoid and Tanh", "smooth-activations"),
    ("Figs C.20-C.26", "Data set 1.3.1 at m = 1000 for the three activations", "non-orthogonal-full"),
    ("Fig C.27", "Width sweep on 1.3.2", "non-orthogonal-full"),
    ("Figs C.28, C.29", "Balancedness and a_j on 1.3.2", "non-orthogonal-full"),
    ("Figs C.30-C.35", "Data set 1.3.3 over the thesis's lambda set, three activations", "non-orthogonal-full"),
    ("Figs 3.25, 3.26", "Loss curves and windows over time along the delta sweep", "relu-interpolators"),
    ("L1306, L1335, L1482", "Sigmoid and Tanh on 1.1.1, 1.1.2 and quasi-orthogonal data", "smooth-activations"),
    ("section 3.3", "Non-orthogonal runs continued until convergence (accuracy 1e-3 at n = 5, 1e-5 at n = 10)",
     "non-orthogonal-full"),
)


def not_run_rows(covered=()) -> list[dict]:
    """Rows for the items no part measures: those whose experiment is not in ``covered``."""
    return [row(f"N{k + 1}", where, finding, "-", f"no twolayer result (experiment `{by}` not run)", "not run")
            for k, (where, finding, by) in enumerate(NOT_RUN) if by not in covered]


def findings(metrics: dict, extra: dict | None = None) -> list[dict]:
    """Every row, in the thesis's order, from the parts' metrics (a missing part: its rows 'not run').

    ``extra`` maps an experiment's name to its own ``metrics -> rows`` function (an experiment
    registered with ``findings=``); its rows replace the "not run" rows of the items it covers.
    """
    out = [r1(metrics), r2(metrics), r3(metrics), r4(metrics), r5(metrics), r6(metrics), r7(metrics), r8(metrics),
           r9(metrics), *r10(metrics), r11(metrics), *r12(metrics), *grid_rows(metrics), *d_rows(metrics)]
    covered = []
    for name, rows_of in (extra or {}).items():
        if name in metrics:
            out += rows_of(metrics[name])
            covered.append(name)
    return out + not_run_rows(covered)


def counts(rows) -> dict:
    """How many rows have each verdict."""
    return {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}


def cell(text) -> str:
    """Text for a markdown table cell (pipes escaped)."""
    return str(text).replace("|", "\\|")


def table(rows) -> str:
    """The findings as a markdown table."""
    lines = ["| | thesis | finding | criterion | measured | verdict |", "|---|---|---|---|---|---|"]
    for r in rows:
        verdict = r["verdict"] if r["verdict"] == "reproduced" else f"**{r['verdict']}**"
        lines.append(f"| {r['id']} | {cell(r['where'])} | {cell(r['finding'])} | {cell(r['criterion'])} | "
                     f"{cell(r['measured'])} | {verdict} |")
    return "\n".join(lines)


def summary_sentence(rows) -> str:
    """'Of N findings: a reproduced, b differ, c contradict the thesis, d not run.'"""
    c = counts(rows)
    return (f"Of {len(rows)} findings: {c['reproduced']} reproduced, {c['differs']} differ, "
            f"{c['thesis contradicted']} contradict the thesis, {c['not run']} not run yet.")


__all__ = ["VERDICTS", "findings", "table", "counts", "summary_sentence", "row"]

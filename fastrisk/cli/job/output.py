"""The main job's output: the human-readable table and verdict (:func:`format_table`) and strict JSON
(:func:`to_json`; schema in docs/guide/json.md, every key listed in :data:`JSON_KEYS`)."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np

from .summary import best_rows

__all__ = ["JSON_KEYS", "format_table", "to_json"]

#: Top-level keys of ``--json`` (docs/guide/json.md documents each).
JSON_KEYS = ("schema_version", "fastrisk_version", "config", "lam", "eps", "standard_risk", "norm2",
             "dual_norm", "df", "adversarial_risk", "ground_truth", "ground_truth_adversarial_risk",
             "theory", "summary", "notes", "timing")


def format_table(res: dict) -> str:
    """The human-readable table and verdict of a :func:`run` result."""
    c = res["config"]
    eps = res["eps"]
    n = c["n"]
    lines = [
        "fastrisk: benign overfitting vs adversarial robustness",
        f"  design  : {c['spectrum']} spectrum, n={n}, p={c['p']}, tr(Sigma)={c['trace_sigma']:.4g}, "
        f"n/tr(Sigma)={n / c['trace_sigma']:.3g}, noise sigma={c['noise']:g}, theta*={c['theta_star']}",
        f"  attack  : ||delta||_{c['norm_label']} <= eps, target={c['target']}; ridge: ||y - X theta||^2 + "
        f"lam ||theta||^2 (lam/n = normalised)",
        f"  cost    : {len(res['lam'])} penalties x {len(eps)} radii from one Gram + one eigh in "
        f"{res['timing']['path_s']:.2f} s (sampling X took {res['timing']['sample_s']:.2f} s)"
        + _compile_note(res["timing"]),
        "",
    ]
    w = max(44, max(len(name) for name, _ in best_rows(res)) + 2)
    head = f"{'estimator':<{w}}{'lam/n':>10}{'R_0':>10}{'||th||_2':>10}"
    head += "".join(f"{'R_eps(' + format(e, 'g') + ')':>14}" for e in eps)
    lines += [head, "-" * len(head)]

    def row(name, lam_n, r0, nrm, advs):
        def f(v, spec):
            return "-" if v is None or not math.isfinite(v) else format(v, spec)

        return (f"{name:<{w}}{f(lam_n, '.3g'):>10}{f(r0, '.4g'):>10}{f(nrm, '.4g'):>10}"
                + "".join(f"{f(v, '.4g'):>14}" for v in advs))

    gt = res["ground_truth"]
    lines.append(row("ground truth theta*", None, 0.0, gt["norm2"], gt["adversarial_risk"]))
    for name, i in best_rows(res):
        lines.append(row(name, res["lam"][i] / n, res["standard_risk"][i], res["norm2"][i],
                         res["adversarial_risk"][i]))
    th = res["theory"]
    adv_th = th["minnorm_adversarial_risk"]
    lines.append(row("min-norm, deterministic equivalent", 0.0, th["minnorm_standard_risk"],
                     th["minnorm_norm2"], [None] * len(eps) if adv_th is None else adv_th))
    orc = th["oracle"]
    lines.append(row(f"oracle frontier ({orc['path']}), best R_eps", None, None, None,
                     orc["best_adversarial_risk"]))
    lines.append(row("gap to the oracle frontier", None, None, None, orc["frontier_gap"]))
    lines.append("")
    for key, note in res["notes"].items():
        lines.append(f"note: {key}: {note}")
    for wmsg in res["summary"]["warnings"]:
        lines.append(f"warning: {wmsg}")
    lines += textwrap.wrap("verdict: " + res["summary"]["headline"], width=110, subsequent_indent="  ")
    return "\n".join(lines)


def _compile_note(timing: dict) -> str:
    """``; compiling kernels took X s (first run only)`` when this run compiled kernels for over 0.1 s."""
    c = timing.get("compile_s", 0.0)
    return f"; compiling kernels took {c:.1f} s (first run only)" if c >= 0.1 else ""


def _plain(o):
    """Plain Python values for JSON: arrays to lists, NumPy scalars to Python, non-finite floats to None."""
    if isinstance(o, np.ndarray):
        return [_plain(v) for v in o.tolist()] if o.ndim else _plain(o.item())
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items() if not k.startswith("_")}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def to_json(res: dict) -> str:
    """Strict JSON (``allow_nan=False``) of a :func:`run` result; every non-finite number is ``null``."""
    return json.dumps(_plain(res), allow_nan=False)

"""CatBoost's multi-class callback: our per-sample derivatives against hand-written NumPy.

CatBoost calls a multi-class objective once per sample and iteration
(``calc_ders_multi(approx, target, weight)``, derivatives of the log-likelihood and
a ``C x C`` Hessian), so a call's Python overhead is the objective's cost. Each row
times ``imbalance_losses.catboost.objective(loss).calc_ders_multi`` against the
derivative a user writes by hand for the same loss with NumPy (what CatBoost's
tutorial shows), on the same sample, and the core's general path
(``Objective.derivatives`` on one row) beside them. Target: ours <= 2x hand-written.
"""

from __future__ import annotations

import numpy as np

import imbalance_losses as il

from .harness import median_time

CATBOOST_TARGET = 2.0
NUM_CLASSES = 10
CALLS = 200  # calls per timed repeat (one call is microseconds)


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _log_likelihood_derivatives(gradient, hessian, weight):
    """CatBoost's convention: derivatives of the negated loss, the Hessian as a matrix."""
    return (-weight * gradient).tolist(), np.diag(-weight * hessian).tolist()


def hand_cross_entropy(approx, target, weight):
    p = _softmax(np.asarray(approx))
    gradient = p.copy()
    gradient[int(target)] -= 1
    return _log_likelihood_derivatives(gradient, p * (1 - p), weight)


def hand_focal(approx, target, weight, gamma=2.0):
    p = _softmax(np.asarray(approx))
    p_t = p[int(target)]
    # d/dz [-(1 - p_t)^g log p_t] = B (p - e_t), B = (1 - p_t)^g (1 - g p_t log p_t / (1 - p_t))
    b = (1 - p_t) ** gamma * (1 - gamma * p_t * np.log(p_t) / (1 - p_t))
    gradient = b * p
    gradient[int(target)] -= b
    return _log_likelihood_derivatives(gradient, b * p * (1 - p), weight)


def hand_logit_adjusted(approx, target, weight, log_prior=None):
    return hand_cross_entropy(np.asarray(approx) + log_prior, target, weight)


def catboost_rows(log=print):
    """One row per loss: microseconds per call, ours / hand-written / the general path."""
    from imbalance_losses.catboost import objective

    rng = np.random.default_rng(0)
    counts = rng.integers(10, 1000, NUM_CLASSES).astype(np.float64)
    log_prior = np.log(counts / counts.sum())
    cases = [
        ("softmax_cross_entropy", objective(il.softmax_cross_entropy), hand_cross_entropy),
        ("softmax_focal_loss(gamma=2)", objective(il.softmax_focal_loss, gamma=2.0), hand_focal),
        ("logit_adjusted_cross_entropy(prior)", objective(il.logit_adjusted_cross_entropy, prior=counts),
         lambda a, t, w: hand_logit_adjusted(a, t, w, log_prior)),
    ]
    samples = [(rng.normal(size=NUM_CLASSES).tolist(), float(rng.integers(NUM_CLASSES)), float(rng.random() + 0.5))
               for _ in range(CALLS)]

    def per_call(fn):
        def run():
            for approx, target, weight in samples:
                fn(approx, target, weight)
        return median_time(run, min_repeats=10, budget=0.5) / CALLS * 1e6

    def general(obj):
        def call(approx, target, weight):
            gradient, hessian = obj.derivatives(np.asarray(approx)[None], np.asarray([target]), [weight])
            return (-gradient[0]).tolist(), np.diag(-hessian[0]).tolist()
        return call

    rows = []
    for name, obj, hand in cases:
        ours_us, hand_us, general_us = per_call(obj.calc_ders_multi), per_call(hand), per_call(general(obj))
        row = {"framework": "catboost", "pair": f"calc_ders_multi {name} vs hand-written NumPy",
               "size": f"1x{NUM_CLASSES}", "ours_us": ours_us, "hand_us": hand_us, "general_us": general_us,
               "ratio": ours_us / hand_us, "target": CATBOOST_TARGET}
        rows.append(row)
        log(format_row(row))
    return rows


HEADER = ("| loss (per call, one sample) | classes | ours µs | hand-written NumPy µs | ours/hand | "
          "general path µs |\n|---|---|---|---|---|---|")


def format_row(row):
    return (f"| {row['pair']} | {row['size']} | {row['ours_us']:.1f} | {row['hand_us']:.1f} | "
            f"**{row['ratio']:.2f}** | {row['general_us']:.1f} |")


def misses(rows):
    return [f"time: {row['pair']}: {row['ratio']:.2f} > {row['target']}" for row in rows if row["ratio"] > row["target"]]

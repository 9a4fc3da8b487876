"""Boosting objectives on long-tailed data: built-in vs ours, over seeds (docs/boosting/index.md).

Two data sets shipped with scikit-learn, made long-tailed by subsampling (no
download): breast cancer with the malignant class cut to 1 in 20 (binary), and
digits with class c cut to 175 * 0.025^(c/9) samples (ten classes, 175 down to 4).
Each seed draws its own subsample and a stratified 60/40 split. For XGBoost and
LightGBM (depth-4 trees, 200 rounds, eta 0.1) it compares the built-in objective,
the same with post-hoc logit adjustment (margins minus log prior), and our
cross-entropy, focal (gamma 2; fisher and clipped exact Hessians) and logit-adjusted (tau 1)
objectives; CatBoost on the binary set. It reports balanced accuracy and PR-AUC
(average precision; macro over classes for digits) as mean +- std over the seeds.

    python docs/scripts/boosting_experiment.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split

import imbalance_losses as il
import imbalance_losses.catboost as ilc
import imbalance_losses.lightgbm as ill
import imbalance_losses.xgboost as ilx

ROUNDS, DEPTH, ETA = 200, 4, 0.1
warnings.filterwarnings("ignore", message="Cannot compute class probabilities")
warnings.filterwarnings("ignore", message="Failed to import numba")


def long_tailed(name, seed):
    rng = np.random.default_rng(seed)
    if name == "breast cancer (binary, 1:20)":
        X, y = load_breast_cancer(return_X_y=True)
        y = 1 - y  # malignant = positive
        keep = (y == 0) | (rng.random(len(y)) < (y == 0).sum() / 20 / (y == 1).sum())
    else:
        X, y = load_digits(return_X_y=True)
        # class c keeps floor(175 * 0.025^(c/9)) of its ~180 samples: 175 zeros down to 4 nines
        keep = np.zeros(len(y), dtype=bool)
        for c in range(10):
            members = np.flatnonzero(y == c)
            keep[rng.choice(members, max(4, int(175 * 0.025 ** (c / 9))), replace=False)] = True
    X, y = X[keep], y[keep]
    return train_test_split(X, y, test_size=0.4, stratify=y, random_state=seed)


def scores(y, margins, classes):
    """Balanced accuracy and PR-AUC from raw margins."""
    if classes == 2 and margins.ndim == 1:
        return balanced_accuracy_score(y, margins > 0), average_precision_score(y, margins)
    if classes == 2:
        return balanced_accuracy_score(y, margins.argmax(1)), average_precision_score(y, margins[:, 1] - margins[:, 0])
    onehot = np.eye(classes)[y]
    return balanced_accuracy_score(y, margins.argmax(1)), average_precision_score(onehot, margins, average="macro")


def run_xgboost(objective, X, y, Xt, classes, start):
    import xgboost as xgb

    # min_child_weight (default 1) bounds a leaf's Hessian sum: focal Hessians carry the factor
    # (1 - p_t)^gamma, so on a few hundred samples the default blocks every split.
    params = {"max_depth": DEPTH, "eta": ETA, "nthread": 1, "min_child_weight": 1e-3}
    softmax = objective == "builtin" and classes > 2 or objective != "builtin" and objective.layout == "classes"
    if softmax:
        params["num_class"] = classes
    train, test = xgb.DMatrix(X, y), xgb.DMatrix(Xt)
    if objective == "builtin":
        params["objective"] = "multi:softprob" if classes > 2 else "binary:logitraw"
        return xgb.train(params, train, ROUNDS).predict(test, output_margin=True)
    params["base_score"] = 0.0  # the start is the base margin
    train.set_base_margin(start(len(y)))
    test.set_base_margin(start(len(Xt)))
    booster = xgb.train({**params, "disable_default_eval_metric": True}, train, ROUNDS, obj=objective)
    return booster.predict(test, output_margin=True)


def run_lightgbm(objective, X, y, Xt, classes, start):
    import lightgbm as lgb

    params = {"num_leaves": 2**DEPTH, "max_depth": DEPTH, "learning_rate": ETA, "verbose": -1, "num_threads": 1,
              "min_data_in_leaf": 5}
    softmax = objective == "builtin" and classes > 2 or objective != "builtin" and objective.layout == "classes"
    if softmax:
        params["num_class"] = classes
    if objective == "builtin":
        params["objective"] = "multiclass" if classes > 2 else "binary"
        return lgb.train(params, lgb.Dataset(X, y), ROUNDS).predict(Xt, raw_score=True)
    booster = lgb.train({**params, "objective": objective}, lgb.Dataset(X, y, init_score=start(len(y))), ROUNDS)
    return booster.predict(Xt) + start(len(Xt))


def run_catboost(objective, X, y, Xt, classes, start):
    import catboost as cb

    params = {"iterations": ROUNDS, "depth": DEPTH, "learning_rate": ETA, "verbose": 0, "random_seed": 0,
              "allow_writing_files": False,
              "thread_count": 1}
    if classes > 2 or objective != "builtin" and objective.layout == "classes":
        return None  # CatBoost's multi-class custom objectives run per sample in Python: left out
    if objective == "builtin":
        model = cb.CatBoostClassifier(loss_function="Logloss", **params).fit(X, y)
        return model.predict(Xt, prediction_type="RawFormulaVal")
    model = cb.CatBoostClassifier(loss_function=objective, eval_metric=objective.metric, boost_from_average=False,
                                  **params).fit(X, y, baseline=start(len(y)))
    return model.predict(Xt, prediction_type="RawFormulaVal") + start(len(Xt))


LIBRARIES = {"XGBoost": (ilx, run_xgboost), "LightGBM": (ill, run_lightgbm), "CatBoost": (ilc, run_catboost)}


def starting_margins(objective, y, classes):
    """``start(n)``: n rows of the objective's starting margin (None for a built-in one)."""
    if objective == "builtin":
        return None
    # The loss's own constant minimiser (0 for logit adjustment at tau = 1, not log pi).
    row = objective.start(y, num_classes=classes if objective.layout == "classes" else None)
    return lambda n: np.repeat(row[None], n, axis=0) if objective.layout == "classes" else np.full(n, row[0])


def objectives(module, prior_counts, classes):
    binary = classes == 2
    ce = il.sigmoid_cross_entropy if binary else il.softmax_cross_entropy
    focal_loss = il.sigmoid_focal_loss if binary else il.softmax_focal_loss
    focal_options = {"alpha": None, "gamma": 2.0} if binary else {"gamma": 2.0}
    return {
        "built-in": "builtin",
        "built-in + post-hoc adjustment": "builtin",
        "ours: cross-entropy": module.objective(ce),
        "ours: focal (gamma 2)": module.objective(focal_loss, **focal_options),
        "ours: focal, clipped exact Hessian": module.objective(focal_loss, hessian="clipped", **focal_options),
        "ours: logit-adjusted (tau 1)": module.objective(il.logit_adjusted_cross_entropy, prior=prior_counts),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--libraries", nargs="*", default=list(LIBRARIES))
    args = parser.parse_args()
    started = time.perf_counter()
    for data in ("breast cancer (binary, 1:20)", "digits (10 classes, 175:4)"):
        results = {}
        for seed in range(args.seeds):
            X, Xt, y, yt = long_tailed(data, seed)
            classes = int(y.max()) + 1
            counts = np.bincount(y, minlength=classes).astype(np.float64)
            log_prior = np.log(counts / counts.sum())
            for library in args.libraries:
                module, run = LIBRARIES[library]
                for name, objective in objectives(module, counts, classes).items():
                    margins = run(objective, X, y, Xt, classes, starting_margins(objective, y, classes))
                    if margins is None:
                        continue
                    if name.endswith("post-hoc adjustment"):
                        margins = (margins - (log_prior[1] - log_prior[0]) if margins.ndim == 1
                                   else np.asarray(il.adjust_logits(margins, counts)))
                    results.setdefault((library, name), []).append(scores(yt, margins, classes))
        print(f"\n**{data}**, {args.seeds} seeds: mean ± std\n")
        print("| library | objective | balanced accuracy | PR-AUC |")
        print("|---|---|---|---|")
        for (library, name), values in results.items():
            values = np.array(values)
            mean, std = values.mean(0), values.std(0)
            print(f"| {library} | {name} | {mean[0]:.3f} ± {std[0]:.3f} | {mean[1]:.3f} ± {std[1]:.3f} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

"""Boosting objectives on long-tailed data: built-in vs ours, over seeds (docs/boosting/index.md).

Two data sets shipped with scikit-learn, made long-tailed by subsampling (no
download): breast cancer with the malignant class cut to 1 in 20 (binary), and
digits with class c cut to 175 * 0.025^(c/9) samples (ten classes, 175 down to 4).
Each seed draws its own subsample and a stratified 60/40 split. For XGBoost, LightGBM
and CatBoost (depth-4 trees, 200 rounds, learning rate 0.1) it compares the library's
own classifier (built-in objective), the same with post-hoc logit adjustment (margins
minus log prior), and our drop-in estimators with cross-entropy, focal (gamma 2;
fisher and clipped exact Hessians) and logit-adjusted (tau 1) losses. It reports
balanced accuracy and PR-AUC (average precision of the predicted probabilities;
macro over classes for digits) as mean +- std over the seeds.

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


def scores(y, probabilities):
    """Balanced accuracy of the most probable class and PR-AUC (macro over classes)."""
    predicted = probabilities.argmax(1)
    if probabilities.shape[1] == 2:
        return balanced_accuracy_score(y, predicted), average_precision_score(y, probabilities[:, 1])
    onehot = np.eye(probabilities.shape[1])[y]
    return balanced_accuracy_score(y, predicted), average_precision_score(onehot, probabilities, average="macro")


def probabilities_of(margins):
    """A built-in model's probabilities from its raw margins (sigmoid or softmax)."""
    if margins.ndim == 1:
        margins = np.stack([np.zeros_like(margins), margins], axis=1)
    shifted = np.exp(margins - margins.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


# Each library: its built-in classifier, its raw margins, and the parameters shared by both.
# XGBoost's min_child_weight (default 1) bounds a leaf's Hessian sum: focal Hessians carry the
# factor (1 - p_t)^gamma, so on a few hundred samples the default blocks every split.
LIBRARIES = {
    "XGBoost": (lambda: __import__("xgboost").XGBClassifier, ilx.XGBClassifier,
                lambda model, X: model.predict(X, output_margin=True),
                {"n_estimators": ROUNDS, "max_depth": DEPTH, "learning_rate": ETA, "n_jobs": 1,
                 "min_child_weight": 1e-3}),
    "LightGBM": (lambda: __import__("lightgbm").LGBMClassifier, ill.LGBMClassifier,
                 lambda model, X: model.predict(X, raw_score=True),
                 {"n_estimators": ROUNDS, "num_leaves": 2**DEPTH, "max_depth": DEPTH, "learning_rate": ETA,
                  "verbose": -1, "n_jobs": 1, "min_child_samples": 5}),
    "CatBoost": (lambda: __import__("catboost").CatBoostClassifier, ilc.CatBoostClassifier,
                 lambda model, X: model.predict(X, prediction_type="RawFormulaVal"),
                 {"iterations": ROUNDS, "depth": DEPTH, "learning_rate": ETA, "verbose": 0, "random_seed": 0,
                  "allow_writing_files": False, "thread_count": 1}),
}


def losses(prior_counts, classes):
    """Our objectives: (loss, loss_options) by name. The Hessian is an option of the objective."""
    binary = classes == 2
    ce = il.sigmoid_cross_entropy if binary else il.softmax_cross_entropy
    focal = il.sigmoid_focal_loss if binary else il.softmax_focal_loss
    focal_options = {"alpha": None, "gamma": 2.0} if binary else {"gamma": 2.0}
    return {
        "ours: cross-entropy": (ce, {}),
        "ours: focal (gamma 2)": (focal, focal_options),
        "ours: focal, clipped exact Hessian": (focal, {**focal_options, "hessian": "clipped"}),
        "ours: logit-adjusted (tau 1)": (il.logit_adjusted_cross_entropy, {"prior": prior_counts}),
    }


def run(library, X, y, Xt, counts):
    """Probabilities on the test set, by objective: built-in, post-hoc adjusted, ours."""
    builtin_class, ours_class, raw_margins, params = LIBRARIES[library]
    classes = counts.size
    margins = raw_margins(builtin_class()(**params).fit(X, y), Xt)
    log_prior = np.log(counts / counts.sum())
    adjusted = margins - (log_prior[1] - log_prior[0]) if margins.ndim == 1 else margins - log_prior
    found = {"built-in": probabilities_of(margins), "built-in + post-hoc adjustment": probabilities_of(adjusted)}
    for name, (loss, options) in losses(counts, classes).items():
        if library == "CatBoost" and classes > 2 and options.get("hessian") == "clipped":
            continue  # CatBoost calls a multi-class objective per sample: the exact focal Hessian's general path is slow
        if library == "CatBoost" and classes == 2 and loss is il.logit_adjusted_cross_entropy:
            continue  # a softmax loss needs two margins; CatBoost trains one for two classes
        model = ours_class(loss=loss, loss_options=options, **params).fit(X, y)
        found[name] = model.predict_proba(Xt)
    return found


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
            counts = np.bincount(y).astype(np.float64)
            for library in args.libraries:
                for name, probabilities in run(library, X, y, Xt, counts).items():
                    results.setdefault((library, name), []).append(scores(yt, probabilities))
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

"""Focal loss with CatBoost, on long-tailed breast cancer.

Runs on CPU in seconds: ``python examples/catboost_focal.py``. The drop-in
``imbalance_losses.catboost.CatBoostClassifier`` supplies CatBoost's objective and
metric objects, starts every pool from the training labels' start, and stores it in
the model; early stopping watches a validation split of the training data.
"""

import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split

import imbalance_losses as il
import imbalance_losses.catboost as ilc

warnings.filterwarnings("ignore", message="Failed to import numba")


def main(seed=0):
    X, y = load_breast_cancer(return_X_y=True)
    y = 1 - y  # malignant = positive, cut to 1 in 20 samples
    keep = (y == 0) | (np.random.default_rng(seed).random(len(y)) < 0.09)
    X, X_test, y, y_test = train_test_split(X[keep], y[keep], test_size=0.4, stratify=y[keep], random_state=seed)
    X_fit, X_valid, y_fit, y_valid = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    model = ilc.CatBoostClassifier(loss=il.sigmoid_focal_loss, loss_options={"alpha": 0.75, "gamma": 2.0},
                                   iterations=500, depth=4, learning_rate=0.1, verbose=0, random_seed=seed,
                                   allow_writing_files=False, early_stopping_rounds=50)
    model.fit(X_fit, y_fit, eval_set=[(X_valid, y_valid)])
    probability = model.predict_proba(X_test)[:, 1]
    results = {"CatBoostClassifier, focal": (balanced_accuracy_score(y_test, model.predict(X_test)),
                                             average_precision_score(y_test, probability)),
               "best validation focal loss": model.get_best_score()["validation"]["CatBoostMetric"]}
    print(results)
    return results


if __name__ == "__main__":
    main()

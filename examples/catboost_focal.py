"""Focal loss as a CatBoost objective with its evaluation metric, on long-tailed breast cancer.

Runs on CPU in seconds: ``python examples/catboost_focal.py``. CatBoost asks for the
derivatives of the log-likelihood (the negated loss) and for an ``eval_metric`` with a
custom objective; the objective object supplies both.
"""

import warnings

import numpy as np
from catboost import CatBoostClassifier, Pool
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
    focal = ilc.objective(il.sigmoid_focal_loss, alpha=0.75, gamma=2.0)
    model = CatBoostClassifier(iterations=200, depth=4, learning_rate=0.1, verbose=0, random_seed=seed,
                               allow_writing_files=False,
                               loss_function=focal, eval_metric=focal.metric, boost_from_average=False)
    # Every pool starts from the training prior (CatBoost wants a baseline for each).
    start = focal.start(y)[0]
    model.fit(X, y, baseline=np.full(len(y), start),
              eval_set=Pool(X_test, y_test, baseline=np.full(len(y_test), start)))
    margins = model.predict(X_test, prediction_type="RawFormulaVal") + start
    results = {"CatBoostClassifier, focal": (balanced_accuracy_score(y_test, margins > 0),
                                             average_precision_score(y_test, margins)),
               "best validation focal loss": model.get_best_score()["validation"]["CatBoostMetric"]}
    print(results)
    return results


if __name__ == "__main__":
    main()

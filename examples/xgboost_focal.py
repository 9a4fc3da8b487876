"""Focal loss and logit adjustment with XGBoost, on long-tailed breast-cancer data.

Runs on CPU in seconds: ``python examples/xgboost_focal.py``. The drop-in
``imbalance_losses.xgboost.XGBClassifier`` takes XGBoost's parameters plus ``loss=``;
early stopping watches a validation split of the *training* data (never the test set),
and starts from the training labels' own start.
"""

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split

import imbalance_losses as il
import imbalance_losses.xgboost as ilx


def long_tailed_data(seed=0):
    """Breast cancer with the malignant (positive) class cut to 1 in 20 samples."""
    X, y = load_breast_cancer(return_X_y=True)
    y = 1 - y
    rng = np.random.default_rng(seed)
    keep = (y == 0) | (rng.random(len(y)) < 0.09)
    return train_test_split(X[keep], y[keep], test_size=0.4, stratify=y[keep], random_state=seed)


def main():
    X, X_test, y, y_test = long_tailed_data()
    results = {}
    X_fit, X_valid, y_fit, y_valid = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    # Focal Hessians carry (1 - p_t)^gamma: lower min_child_weight (default 1) on small data.
    # alpha weighs the positives: 0.75 up-weights the rare malignant class.
    model = ilx.XGBClassifier(loss=il.sigmoid_focal_loss, loss_options={"alpha": 0.75, "gamma": 2.0},
                              n_estimators=500, max_depth=3, learning_rate=0.1, min_child_weight=1e-3,
                              early_stopping_rounds=50)
    model.fit(X_fit, y_fit, eval_set=[(X_valid, y_valid)], verbose=False)
    probability = model.predict_proba(X_test)[:, 1]
    results["XGBClassifier, focal"] = (balanced_accuracy_score(y_test, model.predict(X_test)),
                                       average_precision_score(y_test, probability))

    model = ilx.XGBClassifier(loss=il.logit_adjusted_cross_entropy, loss_options={"prior": np.bincount(y_fit)},
                              n_estimators=500, max_depth=3, learning_rate=0.1, early_stopping_rounds=50)
    model.fit(X_fit, y_fit, eval_set=[(X_valid, y_valid)], verbose=False)
    results["XGBClassifier, logit-adjusted"] = (balanced_accuracy_score(y_test, model.predict(X_test)),
                                                average_precision_score(y_test, model.predict_proba(X_test)[:, 1]))

    # The native API: the same objective object, its start as base_score, its metric.
    focal = ilx.objective(il.sigmoid_focal_loss, alpha=0.75, gamma=2.0)
    booster = xgb.train({"max_depth": 3, "eta": 0.1, "min_child_weight": 1e-3, "base_score": focal.start(y_fit).tolist(),
                         "disable_default_eval_metric": True}, xgb.DMatrix(X_fit, y_fit), 500, obj=focal,
                        custom_metric=focal.metric, evals=[(xgb.DMatrix(X_valid, y_valid), "valid")],
                        early_stopping_rounds=50, verbose_eval=False)
    margins = booster.predict(xgb.DMatrix(X_test), output_margin=True, iteration_range=(0, booster.best_iteration + 1))
    results["xgb.train, focal"] = (balanced_accuracy_score(y_test, margins > 0),
                                   average_precision_score(y_test, margins))
    for name, (balanced_accuracy, pr_auc) in results.items():
        print(f"{name:28s} balanced accuracy {balanced_accuracy:.3f}  PR-AUC {pr_auc:.3f}")
    return results


if __name__ == "__main__":
    main()

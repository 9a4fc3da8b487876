"""Focal loss and logit adjustment as XGBoost objectives, on long-tailed breast-cancer data.

Runs on CPU in seconds: ``python examples/xgboost_focal.py``. The same objective
object serves ``XGBClassifier`` (scikit-learn API, sample weights passed once) and
``xgb.train`` (native API, with its evaluation metric for early stopping).
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
    # scikit-learn API: XGBClassifier applies its sigmoid, predict_proba is a probability.
    # Focal Hessians carry (1 - p_t)^gamma: lower min_child_weight (default 1) on small data.
    focal = ilx.objective(il.sigmoid_focal_loss, alpha=0.75, gamma=2.0)
    model = xgb.XGBClassifier(n_estimators=200, max_depth=3, learning_rate=0.1, min_child_weight=1e-3,
                              objective=focal, base_score=float(np.mean(y)))
    model.fit(X, y, sample_weight=np.ones(len(y)))
    probability = model.predict_proba(X_test)[:, 1]
    results["XGBClassifier, focal"] = (balanced_accuracy_score(y_test, probability > 0.5),
                                       average_precision_score(y_test, probability))

    # Native API: logit-adjusted softmax over the two classes, early stopping on its own loss.
    adjusted = ilx.objective(il.logit_adjusted_cross_entropy, prior=np.bincount(y))
    X_fit, X_valid, y_fit, y_valid = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    train, valid = xgb.DMatrix(X_fit, y_fit), xgb.DMatrix(X_valid, y_valid)
    booster = xgb.train({"num_class": 2, "max_depth": 3, "eta": 0.1, "base_score": 0.0,
                         "disable_default_eval_metric": True}, train, 500, obj=adjusted,
                        custom_metric=adjusted.metric, evals=[(valid, "valid")], early_stopping_rounds=50,
                        verbose_eval=False)
    margins = booster.predict(xgb.DMatrix(X_test), output_margin=True, iteration_range=(0, booster.best_iteration + 1))
    results["xgb.train, logit-adjusted"] = (balanced_accuracy_score(y_test, margins.argmax(1)),
                                            average_precision_score(y_test, margins[:, 1] - margins[:, 0]))
    for name, (balanced_accuracy, pr_auc) in results.items():
        print(f"{name:28s} balanced accuracy {balanced_accuracy:.3f}  PR-AUC {pr_auc:.3f}")
    return results


if __name__ == "__main__":
    main()

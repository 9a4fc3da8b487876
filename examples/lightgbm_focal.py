"""Focal loss as a LightGBM objective, started from the prior, on long-tailed digits.

Runs on CPU in seconds: ``python examples/lightgbm_focal.py``. LightGBM starts a
custom objective from score 0 and does not store ``init_score`` in the model: the
prior goes in as ``init_score`` and is added back to the raw predictions.
"""

import warnings

import lightgbm as lgb
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

import imbalance_losses as il
import imbalance_losses.lightgbm as ill


def long_tailed_digits(seed=0):
    """Digits with class c kept at a fraction 0.02^(c/9): 50 times fewer nines than zeros."""
    X, y = load_digits(return_X_y=True)
    keep = np.random.default_rng(seed).random(len(y)) < 0.02 ** (y / 9)
    return train_test_split(X[keep], y[keep], test_size=0.4, stratify=y[keep], random_state=seed)


def main():
    X, X_test, y, y_test = long_tailed_digits()
    focal = ill.objective(il.softmax_focal_loss, gamma=2.0)
    params = {"objective": focal, "num_class": 10, "num_leaves": 15, "learning_rate": 0.1, "min_data_in_leaf": 5,
              "metric": "None", "verbose": -1}
    booster = lgb.train(params, lgb.Dataset(X, y, init_score=focal.initial_margins(y, num_classes=10)), 200)
    margins = booster.predict(X_test) + focal.start(y, num_classes=10)
    results = {"lgb.train, focal": balanced_accuracy_score(y_test, margins.argmax(1))}

    # scikit-learn API: predict_proba returns raw scores for a custom objective (LightGBM's rule).
    model = lgb.LGBMClassifier(n_estimators=200, num_leaves=15, learning_rate=0.1, min_child_samples=5, verbose=-1,
                               objective=focal)
    model.fit(X, y, init_score=focal.initial_margins(y, num_classes=10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = model.predict_proba(X_test)
    probabilities = focal.probabilities(scores + focal.start(y, num_classes=10))
    # Post-hoc logit adjustment of the margins for balanced accuracy.
    adjusted = il.adjust_logits(np.log(probabilities), np.bincount(y, minlength=10))
    results["LGBMClassifier, focal"] = balanced_accuracy_score(y_test, probabilities.argmax(1))
    results["LGBMClassifier, focal, adjusted"] = balanced_accuracy_score(y_test, np.asarray(adjusted).argmax(1))
    for name, balanced_accuracy in results.items():
        print(f"{name:32s} balanced accuracy {balanced_accuracy:.3f}")
    return results


if __name__ == "__main__":
    main()

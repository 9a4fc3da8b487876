"""LightGBM objectives: one object for ``lgb.train`` and the scikit-learn estimators.

    import imbalance_losses as il
    import imbalance_losses.lightgbm as ill

    objective = ill.objective(il.sigmoid_focal_loss, alpha=0.25, gamma=2.0)
    train = lgb.Dataset(X, y, weight=w, init_score=objective.initial_margins(y, w))
    booster = lgb.train({"objective": objective, "metric": "None"}, train, feval=objective.metric)
    margins = booster.predict(X_test) + objective.prior(y, w)   # init_score is not stored

LightGBM's conventions (4.x): a callable in ``params["objective"]`` gets the raw
scores, ``(n_samples,)`` or ``(n_samples, n_classes)`` (set ``num_class``), and returns
the gradient and Hessian of the loss in that shape. The native API passes the
Dataset, whose weights the objective applies; the scikit-learn API passes the
weights as the third argument (a two-argument objective would silently drop them),
applied likewise, once. A custom objective starts from score 0 and its model does
not store ``init_score``: add ``objective.prior(...)`` to its raw predictions.
"""

from __future__ import annotations

import lightgbm as lgb

from ._boosting import Objective

__all__ = ["LightGBMObjective", "objective"]


class LightGBMObjective(Objective):
    """A core loss as a LightGBM objective (see :func:`objective`)."""

    def __call__(self, first, second, weight=None, group=None):
        # Native API: objective(scores, dataset); scikit-learn API: objective(y_true, y_pred, weight, group).
        if isinstance(second, lgb.Dataset):
            return self.derivatives(first, second.get_label(), second.get_weight())
        return self.derivatives(second, first, weight)

    def metric(self, first, second, weight=None):
        """``feval`` for ``lgb.train`` (``metric(scores, dataset)``) and ``eval_metric`` for the
        estimators (``metric(y_true, y_pred, weight)``): the weighted mean loss on raw scores."""
        if isinstance(second, lgb.Dataset):
            value = self.value(first, second.get_label(), second.get_weight())
        else:
            value = self.value(second, first, weight)
        return self.__name__, value, False


def objective(loss, *, hessian="fisher", **options) -> LightGBMObjective:
    """``loss`` (a per-sample core loss) with ``options`` as a LightGBM objective.

    Pass it as ``params["objective"]`` to ``lgb.train`` (with ``feval=objective.metric``
    for early stopping) or as ``objective=`` to ``LGBMClassifier``, whose ``predict`` and
    ``predict_proba`` then return raw scores (LightGBM's rule for custom objectives):
    ``objective.probabilities(scores)`` turns them into probabilities. ``hessian`` as
    in :func:`imbalance_losses.core.derivatives.loss_derivatives`.
    """
    return LightGBMObjective(loss, hessian=hessian, **options)

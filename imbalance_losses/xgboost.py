"""XGBoost objectives: one object for ``xgb.train(obj=...)`` and the scikit-learn estimators.

    import imbalance_losses as il
    import imbalance_losses.xgboost as ilx

    objective = ilx.objective(il.sigmoid_focal_loss, alpha=0.25, gamma=2.0)
    booster = xgb.train({"base_score": 0.0, "disable_default_eval_metric": True}, dtrain,
                        num_boost_round=200, obj=objective, custom_metric=objective.metric)
    model = xgb.XGBClassifier(objective=objective).fit(X, y, sample_weight=w)

XGBoost's conventions (3.x): the objective gets raw margins, ``(n_samples,)`` or
``(n_samples, n_classes)``, and returns the gradient and Hessian of the loss (not of
the log-likelihood) in that shape. The native API does not apply sample weights
(``dtrain.get_weight()``): the objective does; the scikit-learn API passes them as
``sample_weight``, applied likewise, once. Negative Hessians would be clipped by
XGBoost: the default ``hessian="fisher"`` never gives one.
"""

from __future__ import annotations

import xgboost as xgb

from ._boosting import Objective

__all__ = ["XGBoostObjective", "objective"]


class XGBoostObjective(Objective):
    """A core loss as an XGBoost objective (see :func:`objective`)."""

    def __call__(self, first, second, sample_weight=None):
        # Native API: obj(margins, dtrain); scikit-learn API: objective(y_true, y_pred, sample_weight=None).
        if isinstance(second, xgb.DMatrix):
            return self.derivatives(first, second.get_label(), second.get_weight())
        return self.derivatives(second, first, sample_weight)

    def metric(self, margins, dtrain):
        """``custom_metric`` for ``xgb.train``: the weighted mean loss on raw margins (lower is better)."""
        return self.__name__, self.value(margins, dtrain.get_label(), dtrain.get_weight())


def objective(loss, *, hessian="fisher", **options) -> XGBoostObjective:
    """``loss`` (a per-sample core loss) with ``options`` as an XGBoost objective.

    Pass it as ``obj=`` to ``xgb.train`` (with ``custom_metric=objective.metric`` and
    ``disable_default_eval_metric``) or as ``objective=`` to ``XGBClassifier``, which then
    predicts probabilities with its own sigmoid/softmax. ``hessian`` as in
    :func:`imbalance_losses.core.derivatives.loss_derivatives`; ``objective.prior(y)``
    gives the starting margin (``base_score`` of a binary objective, ``base_margin``).
    """
    return XGBoostObjective(loss, hessian=hessian, **options)

"""CatBoost objectives and their evaluation metric.

    import imbalance_losses as il
    import imbalance_losses.catboost as ilc

    objective = ilc.objective(il.sigmoid_focal_loss, alpha=0.25, gamma=2.0)
    model = CatBoostClassifier(loss_function=objective, eval_metric=objective.metric)
    model.fit(X, y, sample_weight=w, baseline=objective.initial_margins(y, w))

CatBoost's conventions (1.2): the objective object's ``calc_ders_range(approxes,
targets, weights)`` (one margin per sample) or ``calc_ders_multi(approx, target,
weight)`` (one sample, one margin per class: set ``classes_count``) returns the
derivatives of the *log-likelihood*, the negated loss: ``(-g, -h)``, with a
``K x K`` Hessian per sample for multi-class (ours is diagonal). The objective
applies the weights CatBoost passes, once. CatBoost needs an ``eval_metric`` object
with a custom objective: ``objective.metric``, the weighted mean loss. Custom
objectives run on the CPU only, in Python per sample for multi-class (slow for large
data: CatBoost's design).
"""

from __future__ import annotations

import numpy as np

from ._boosting import Objective

__all__ = ["CatBoostMetric", "CatBoostObjective", "objective"]


class CatBoostObjective(Objective):
    """A core loss as a CatBoost objective (see :func:`objective`)."""

    def __init__(self, loss, *, hessian="fisher", **options):
        super().__init__(loss, hessian=hessian, **options)
        self.metric = CatBoostMetric(self)

    def calc_ders_range(self, approxes, targets, weights):
        gradient, hessian = self.derivatives(approxes, targets, weights)
        return list(zip((-gradient).tolist(), (-hessian).tolist()))

    def calc_ders_multi(self, approx, target, weight):
        gradient, hessian = self.derivatives(np.asarray(approx)[None], np.asarray([target]),
                                             None if weight is None else [weight])
        return (-gradient[0]).tolist(), np.diag(-hessian[0]).tolist()


class CatBoostMetric:
    """The objective's weighted mean loss as a CatBoost ``eval_metric`` (lower is better)."""

    def __init__(self, objective: Objective):
        self.objective = objective

    def is_max_optimal(self):
        return False

    def evaluate(self, approxes, target, weight):
        margins = np.asarray(approxes, dtype=np.float64)
        # CatBoost passes one approx list per dimension: (1, n) or (n_classes, n).
        margins = margins[0] if self.objective.layout == "binary" and margins.shape[0] == 1 else margins.T
        weights = np.ones(margins.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
        return self.objective.value(margins, target, weights) * float(np.sum(weights)), float(np.sum(weights))

    def get_final_error(self, error, weight):
        return error / weight if weight else 0.0


def objective(loss, *, hessian="fisher", **options) -> CatBoostObjective:
    """``loss`` (a per-sample core loss) with ``options`` as a CatBoost objective.

    Pass it as ``loss_function=`` to ``CatBoostClassifier`` (or ``catboost.train``) with
    ``eval_metric=objective.metric``; ``baseline=objective.initial_margins(y, w)`` starts
    from the prior. ``hessian`` as in
    :func:`imbalance_losses.core.derivatives.loss_derivatives`.
    """
    return CatBoostObjective(loss, hessian=hessian, **options)

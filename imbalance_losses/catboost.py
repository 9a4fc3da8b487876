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
objectives run on the CPU only, in Python per sample for multi-class (CatBoost's
design): a hard-label softmax loss is prepared once and each sample then costs a
few NumPy operations (:class:`~imbalance_losses._boosting.RowDerivatives`).
"""

from __future__ import annotations

import numpy as np

import catboost as cb

from ._boosting import BoostingClassifier, Objective, RowDerivatives

__all__ = ["CatBoostClassifier", "CatBoostMetric", "CatBoostObjective", "objective"]


class CatBoostObjective(Objective):
    """A core loss as a CatBoost objective (see :func:`objective`)."""

    def __init__(self, loss, *, hessian="fisher", **options):
        super().__init__(loss, hessian=hessian, **options)
        if self.layout == "bins":
            # CatBoost 1.2 converts a multi-class objective's targets to class indices
            # (a real distance raises), and its multi-target custom objectives take no
            # baseline, so the model could not start from the loss's minimiser.
            msg = (f"Invalid value for argument `loss` in CatBoost: {loss.__name__} needs real distances as the "
                   f"targets of a multi-class objective, which CatBoost refuses (it reads them as class "
                   f"indices). Use imbalance_losses.xgboost.objective or imbalance_losses.lightgbm.objective.")
            raise ValueError(msg)
        self.metric = CatBoostMetric(self)
        self._rows = {}  # number of classes -> RowDerivatives (or None: no kernel)

    def calc_ders_range(self, approxes, targets, weights):
        gradient, hessian = self.derivatives(approxes, targets, weights)
        return list(zip((-gradient).tolist(), (-hessian).tolist()))

    def calc_ders_multi(self, approx, target, weight):
        # One sample per call: the prepared per-sample kernel where the loss has one.
        size = len(approx)
        if size not in self._rows:
            self._rows[size] = RowDerivatives.of(self.loss, size, hessian=self.hessian, **self.options)
        row = self._rows[size]
        if row is not None:
            if target != int(target) or not 0 <= target < size:
                self.check_labels([target], size)  # raises, naming the label
            gradient, hessian = row(approx, target, 1.0 if weight is None else weight)
        else:
            gradient, hessian = (d[0] for d in self.derivatives(np.asarray(approx)[None], np.asarray([target]),
                                                                None if weight is None else [weight]))
        return (-gradient).tolist(), np.diag(-hessian).tolist()

    def __getstate__(self):
        return {**self.__dict__, "_rows": {}}  # the kernels are rebuilt on first use


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


class CatBoostClassifier(BoostingClassifier, cb.CatBoostClassifier):
    """``catboost.CatBoostClassifier`` trained on an imbalance_losses loss: a drop-in replacement.

    Takes CatBoost's own parameters plus ``loss`` (a core loss; None: cross-entropy) and
    ``loss_options`` (its options, a dict). ``fit`` starts from the loss's own constant
    minimiser (:meth:`Objective.start`) as the baseline of the training data and of every
    evaluation set, then stores it in the model as its bias (``set_scale_and_bias``), so
    the saved model predicts from it. ``eval_metric`` defaults to the loss itself;
    ``predict_proba`` is the loss's probability, ``predict`` a label from ``classes_``
    (strings too). ``class_weights``, ``auto_class_weights`` and ``scale_pos_weight``
    act as sample weights (CatBoost ignores them with a custom objective).
    """

    _class_weight_parameters = {"class_weights": None, "auto_class_weights": None, "scale_pos_weight": 1.0}

    def get_params(self, deep=True):
        return {**super().get_params(), "loss": self.loss, "loss_options": self.loss_options}

    def set_params(self, **params):
        for name in ("loss", "loss_options"):
            if name in params:
                setattr(self, name, params.pop(name))
        return super().set_params(**params)

    def _make_objective(self, loss, **options):
        return CatBoostObjective(loss, **options)

    # CatBoost pickles its parameters and model alone: ours travel beside them.
    _OWN_STATE = ("loss", "loss_options", "_classes", "loss_objective_", "start_")

    def __getstate__(self):
        return {"catboost": super().__getstate__(),
                "imbalance_losses": {k: self.__dict__[k] for k in self._OWN_STATE if k in self.__dict__}}

    def __setstate__(self, state):
        super().__setstate__(state["catboost"])
        self.__dict__.update(state["imbalance_losses"])

    def fit(self, X, y, sample_weight=None, eval_set=None, cat_features=None, **fit_params):
        """Train from the loss's start; ``eval_set`` pairs ``(X, y)`` with labels as ``y``'s."""
        y_encoded, weights = self._prepare(y, sample_weight)
        objective = self.loss_objective_
        if objective.layout == "classes" and self.classes_.size == 2:
            msg = (f"Invalid `loss` for 2 classes in CatBoost: with a custom objective CatBoost trains one "
                   f"margin for two classes, so a softmax loss ({objective.__name__}) cannot have its two. "
                   f"Use its sigmoid form (sigmoid_cross_entropy, sigmoid_focal_loss, ...), or XGBClassifier "
                   f"or LGBMClassifier, which train two margins.")
            raise ValueError(msg)
        train = cb.Pool(X, y_encoded, weight=weights, baseline=self._start_rows(len(y_encoded)),
                        cat_features=cat_features)
        evals = [cb.Pool(X_eval, y_eval, baseline=self._start_rows(len(y_eval)), cat_features=cat_features)
                 for X_eval, y_eval in self._evaluation_sets(eval_set)]
        # For the fit alone: our objective and metric, without the class-weight parameters
        # (already in the sample weights); the user's parameters afterwards.
        given = self._init_params
        training = {k: v for k, v in given.items() if k not in self._class_weight_parameters}
        training["loss_function"] = objective
        training.setdefault("eval_metric", objective.metric)
        if objective.layout == "classes":
            training["classes_count"] = self.classes_.size
        self._init_params = training
        try:
            cb.CatBoostClassifier.fit(self, train, eval_set=evals or None, **fit_params)
        finally:
            self._init_params = given
        scale, bias = self.get_scale_and_bias()
        bias = np.asarray(bias, dtype=np.float64) + self.start_
        self.set_scale_and_bias(scale, float(bias[0]) if objective.layout == "binary" else bias.tolist())
        return self

    def _margins(self, X):
        return cb.CatBoostClassifier.predict(self, X, prediction_type="RawFormulaVal")


def objective(loss, *, hessian="fisher", **options) -> CatBoostObjective:
    """``loss`` (a per-sample core loss) with ``options`` as a CatBoost objective.

    Pass it as ``loss_function=`` to ``CatBoostClassifier`` (or ``catboost.train``) with
    ``eval_metric=objective.metric``; ``baseline=objective.initial_margins(y, w)`` starts
    from the prior. ``hessian`` as in
    :func:`imbalance_losses.core.derivatives.loss_derivatives`.
    """
    return CatBoostObjective(loss, hessian=hessian, **options)

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

from ._boosting import BoostingClassifier, Objective

__all__ = ["XGBClassifier", "XGBoostObjective", "objective"]


class XGBoostObjective(Objective):
    """A core loss as an XGBoost objective (see :func:`objective`)."""

    def __call__(self, first, second, sample_weight=None):
        # Native API: obj(margins, dtrain); scikit-learn API: objective(y_true, y_pred, sample_weight=None).
        if isinstance(second, xgb.DMatrix):
            return self.derivatives(first, second.get_label(), second.get_weight())
        return self.derivatives(second, first, sample_weight)

    def metric(self, first, second, sample_weight=None):
        """The weighted mean loss on raw margins (lower is better): ``custom_metric`` for
        ``xgb.train`` (``metric(margins, dtrain)`` gives ``(name, value)``) and ``eval_metric``
        for ``xgb.XGBClassifier`` (``metric(y_true, margins, sample_weight=None)``, a value)."""
        if isinstance(second, xgb.DMatrix):
            return self.__name__, self.value(first, second.get_label(), second.get_weight())
        return self.value(second, first, sample_weight)


class XGBClassifier(BoostingClassifier, xgb.XGBClassifier):
    """``xgboost.XGBClassifier`` trained on an imbalance_losses loss: a drop-in replacement.

    Takes XGBoost's own parameters plus ``loss`` (a core loss; None: cross-entropy) and
    ``loss_options`` (its options, a dict). ``fit`` starts from the loss's own constant
    minimiser (:meth:`Objective.start`), kept in the model as its ``base_score`` (a
    vector for a softmax loss), so evaluation sets, ``predict``, the saved booster and
    early stopping all see it; ``eval_metric`` defaults to the loss itself.
    ``predict_proba`` is the loss's probability, ``predict`` a label from ``classes_``
    (any label values). ``scale_pos_weight`` acts as a weight on the positive class.
    A softmax loss on two classes trains two margins.

    >>> from imbalance_losses.xgboost import XGBClassifier
    >>> import imbalance_losses as il
    >>> model = XGBClassifier(loss=il.sigmoid_focal_loss, loss_options={"gamma": 2.0}, n_estimators=50)
    """

    _class_weight_parameters = {"scale_pos_weight": 1}

    def _make_objective(self, loss, **options):
        return XGBoostObjective(loss, **options)

    def _wrapper_params(self):
        return super()._wrapper_params() | {"loss", "loss_options", "scale_pos_weight", "eval_metric"}

    def fit(self, X, y, *, sample_weight=None, eval_set=None, verbose=True, sample_weight_eval_set=None,
            xgb_model=None):
        """Train from the loss's start; ``eval_set`` pairs ``(X, y)`` with labels as ``y``'s."""
        y_encoded, weights = self._prepare(y, sample_weight)
        objective = self.loss_objective_
        params = self.get_xgb_params()
        params.pop("objective", None)  # our derivatives (an identity link for base_score)
        if objective.layout == "classes":
            params["num_class"] = self.classes_.size
        params["base_score"] = self.start_.tolist()
        params["disable_default_eval_metric"] = True
        train = xgb.DMatrix(X, y_encoded, weight=weights, missing=self.missing,
                            enable_categorical=self.enable_categorical, feature_types=self.feature_types)
        evals = []
        for i, (X_eval, y_eval) in enumerate(self._evaluation_sets(eval_set)):
            eval_weights = None if sample_weight_eval_set is None else sample_weight_eval_set[i]
            evals.append((xgb.DMatrix(X_eval, y_eval, weight=eval_weights, missing=self.missing,
                                      enable_categorical=self.enable_categorical,
                                      feature_types=self.feature_types), f"validation_{i}"))
        results = {}
        self._Booster = xgb.train(
            params, train, self.get_num_boosting_rounds(), evals=evals,
            early_stopping_rounds=self.early_stopping_rounds, evals_result=results, obj=objective,
            custom_metric=objective.metric if self.eval_metric is None else _sklearn_metric(self.eval_metric),
            verbose_eval=verbose, xgb_model=xgb_model,
            callbacks=self.callbacks)
        self.n_classes_ = self.classes_.size
        self._set_evaluation_result(results)
        return self

    def _margins(self, X):
        margins = xgb.XGBModel.predict(self, X, output_margin=True)
        return margins.reshape(-1) if self.loss_objective_.layout == "binary" else margins


def _sklearn_metric(metric):
    """A user's ``eval_metric``, a scikit-learn style callable ``metric(y_true, margins)``, as
    ``xgb.train`` takes it; a built-in metric's name raises (it would read raw margins)."""
    if not callable(metric):
        raise ValueError(f"Invalid value for argument `eval_metric`. Expected a callable metric(y_true, margins) "
                         f"(with a custom objective XGBoost's built-in metrics read raw margins). "
                         f"Received: eval_metric={metric!r}")

    def custom_metric(margins, dmatrix):
        return metric.__name__, metric(dmatrix.get_label(), margins)

    return custom_metric


def objective(loss, *, hessian="fisher", **options) -> XGBoostObjective:
    """``loss`` (a per-sample core loss) with ``options`` as an XGBoost objective.

    Pass it as ``obj=`` to ``xgb.train`` (with ``custom_metric=objective.metric`` and
    ``disable_default_eval_metric``) or as ``objective=`` to ``XGBClassifier``, which then
    predicts probabilities with its own sigmoid/softmax. ``hessian`` as in
    :func:`imbalance_losses.core.derivatives.loss_derivatives`; ``objective.start(y)``
    gives the starting margin (``base_score`` of a binary objective, ``base_margin``).
    """
    return XGBoostObjective(loss, hessian=hessian, **options)

"""LightGBM objectives: one object for ``lgb.train`` and the scikit-learn estimators.

    import imbalance_losses as il
    import imbalance_losses.lightgbm as ill

    objective = ill.objective(il.sigmoid_focal_loss, alpha=0.25, gamma=2.0)
    train = lgb.Dataset(X, y, weight=w, init_score=objective.initial_margins(y, w))
    booster = lgb.train({"objective": objective, "metric": "None"}, train, feval=objective.metric)
    margins = booster.predict(X_test) + objective.start(y, w)   # init_score is not stored

LightGBM's conventions (4.x): a callable in ``params["objective"]`` gets the raw
scores, ``(n_samples,)`` or ``(n_samples, n_classes)`` (set ``num_class``), and returns
the gradient and Hessian of the loss in that shape. The native API passes the
Dataset, whose weights the objective applies; the scikit-learn API passes the
weights as the third argument (a two-argument objective would silently drop them),
applied likewise, once. A custom objective starts from score 0 and its model does
not store ``init_score``: add ``objective.start(...)`` to its raw predictions.
"""

from __future__ import annotations

import lightgbm as lgb

import numpy as np

from ._boosting import BoostingClassifier, Objective

__all__ = ["LGBMClassifier", "LightGBMObjective", "objective"]


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


class LGBMClassifier(BoostingClassifier, lgb.LGBMClassifier):
    """``lightgbm.LGBMClassifier`` trained on an imbalance_losses loss: a drop-in replacement.

    Takes LightGBM's own parameters plus ``loss`` (a core loss; None: cross-entropy) and
    ``loss_options`` (its options, a dict). ``fit`` starts from the loss's own constant
    minimiser (:meth:`Objective.start`) as the init score of the training data and of
    every evaluation set, then folds it into the leaves of the first trees, so the
    booster itself (``booster_.predict``, ``booster_.save_model``) predicts from it.
    ``eval_metric`` defaults to the loss itself; ``predict_proba`` is the loss's
    probability (not LightGBM's raw score for custom objectives), ``predict`` a label
    from ``classes_``. ``class_weight``, ``is_unbalance`` and ``scale_pos_weight`` act as
    sample weights (LightGBM ignores the last two with a custom objective).
    """

    _class_weight_parameters = {"class_weight": None, "is_unbalance": False, "scale_pos_weight": 1.0}

    def _make_objective(self, loss, **options):
        return LightGBMObjective(loss, **options)

    def get_params(self, deep=True):
        params = super().get_params(deep)
        if getattr(self, "_library_view", False):
            del params["loss"], params["loss_options"]
        return params

    def _process_params(self, stage):
        # LightGBM reads `loss` as an alias of `objective`: its own parameter processing
        # sees the parameters without ours.
        self._library_view = True
        try:
            params = super()._process_params(stage)
        finally:
            self._library_view = False
        for name in ("is_unbalance", "scale_pos_weight"):
            params.pop(name, None)
        if "metric" not in self.get_params():  # LightGBM's default metric would read raw scores
            params["metric"] = "None"
        if stage == "fit" and self.loss_objective_.layout == "classes":
            params["num_class"] = self.classes_.size  # two margins for a softmax loss on two classes too
        return params

    def fit(self, X, y, sample_weight=None, eval_set=None, eval_names=None, eval_sample_weight=None,
            eval_metric=None, feature_name="auto", categorical_feature="auto", callbacks=None):
        """Train from the loss's start; ``eval_set`` pairs ``(X, y)`` with labels as ``y``'s."""
        y_encoded, weights = self._prepare(y, sample_weight)
        valid = self._evaluation_sets(eval_set)
        eval_X, eval_y = (tuple(x for x, _ in valid), tuple(y for _, y in valid)) if valid else (None, None)
        self._n_classes, self._objective, self._class_weight = self.classes_.size, self.loss_objective_, None
        with self._class_weight_parameters_off():
            lgb.LGBMModel.fit(
                self, X, y_encoded, sample_weight=weights, init_score=self._start_rows(len(y_encoded)),
                eval_X=eval_X, eval_y=eval_y, eval_names=eval_names, eval_sample_weight=eval_sample_weight,
                eval_init_score=[self._start_rows(len(v[1])) for v in valid] or None,
                eval_metric=self.loss_objective_.metric if eval_metric is None else eval_metric,
                feature_name=feature_name, categorical_feature=categorical_feature, callbacks=callbacks)
        self._fold_start_into_first_trees()
        return self

    def _fold_start_into_first_trees(self):
        """Add the start to every leaf of the first iteration's trees (one per class): the
        model then predicts from it without an init score."""
        booster = self.booster_
        trees = booster.dump_model(num_iteration=1)["tree_info"]  # the first iteration's trees alone
        for tree, start in enumerate(np.atleast_1d(self.start_)):
            for leaf in range(trees[tree]["num_leaves"]):
                booster.set_leaf_output(tree, leaf, booster.get_leaf_output(tree, leaf) + float(start))

    def _margins(self, X):
        return lgb.LGBMModel.predict(self, X, raw_score=True)


def objective(loss, *, hessian="fisher", **options) -> LightGBMObjective:
    """``loss`` (a per-sample core loss) with ``options`` as a LightGBM objective.

    Pass it as ``params["objective"]`` to ``lgb.train`` (with ``feval=objective.metric``
    for early stopping) or as ``objective=`` to ``LGBMClassifier``, whose ``predict`` and
    ``predict_proba`` then return raw scores (LightGBM's rule for custom objectives):
    ``objective.probabilities(scores)`` turns them into probabilities. ``hessian`` as
    in :func:`imbalance_losses.core.derivatives.loss_derivatives`.
    """
    return LightGBMObjective(loss, hessian=hessian, **options)

"""The drop-in estimators (imbalance_losses.xgboost.XGBClassifier, .lightgbm.LGBMClassifier,
.catboost.CatBoostClassifier) and the objectives' start, option and label checks, against the
real libraries and scikit-learn's model selection."""

import pickle

import numpy as np
import pytest

import imbalance_losses as il

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")
sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402

import imbalance_losses.catboost as ilc  # noqa: E402
import imbalance_losses.lightgbm as ill  # noqa: E402
import imbalance_losses.xgboost as ilx  # noqa: E402

FLOOR = np.log(1e-15)
# Each library's estimator with small, deterministic settings.
ESTIMATORS = {
    "xgboost": (ilx.XGBClassifier, {"n_estimators": 20, "max_depth": 2, "learning_rate": 0.3, "n_jobs": 1}),
    "lightgbm": (ill.LGBMClassifier, {"n_estimators": 20, "num_leaves": 4, "learning_rate": 0.3, "verbose": -1,
                                      "n_jobs": 1, "min_child_samples": 5}),
    "catboost": (ilc.CatBoostClassifier, {"iterations": 20, "depth": 2, "learning_rate": 0.3, "verbose": 0,
                                          "thread_count": 1, "allow_writing_files": False, "random_seed": 0}),
}
# A learning rate that leaves the margins at the start (CatBoost refuses 0).
FROZEN = {"xgboost": {"learning_rate": 1e-12}, "lightgbm": {"learning_rate": 1e-12}, "catboost": {"learning_rate": 1e-6, "iterations": 1}}


@pytest.fixture
def rare():
    """6% positives with string labels, as a tabular practitioner's data ("rare" sorts last:
    the positive class)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    positive = X[:, 0] + 0.4 * rng.normal(size=400) > 1.6
    return X, np.where(positive, "rare", "common")


@pytest.fixture
def three():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=300), [0.6, 1.5])  # 0 common, 2 rare
    return X, y


def _estimator(library, **options):
    cls, defaults = ESTIMATORS[library]
    return cls(**{**defaults, **options})


# --- the start ------------------------------------------------------------------------

CLASS_LOSSES = [
    (il.softmax_cross_entropy, {}),
    (il.softmax_cross_entropy, {"class_weights": [1.0, 2.0, 5.0], "label_smoothing": 0.1}),
    (il.softmax_focal_loss, {"gamma": 2.0}),
    (il.logit_adjusted_cross_entropy, {"prior": [50.0, 30.0, 20.0], "tau": 0.5}),
    (il.balanced_softmax_cross_entropy, {"counts": [50.0, 30.0, 20.0]}),
    (il.ldam_loss, {"counts": [50.0, 30.0, 20.0]}),
    (il.vector_scaling_loss, {"counts": [50.0, 30.0, 20.0]}),
    (il.poly1_cross_entropy, {"epsilon": 2.0}),
    (il.soft_truncated_softmax_loss, {}),
]


@pytest.mark.parametrize("loss, options", CLASS_LOSSES, ids=lambda v: getattr(v, "__name__", ""))
def test_start_minimises_the_weighted_loss(loss, options):
    rng = np.random.default_rng(2)
    y = rng.choice(3, 500, p=[0.7, 0.25, 0.05])
    w = rng.uniform(0.5, 2.0, 500)
    objective = ill.objective(loss, **options)
    start = objective.start(y, w)
    assert start.shape == (3,) and np.all(np.isfinite(start))

    def value(margin):
        return objective.value(np.tile(margin, (500, 1)), y, w)

    best = value(start)
    for c in range(3):  # no coordinate move lowers the loss
        for step in (1e-3, -1e-3):
            assert value(start + step * np.eye(3)[c]) >= best - 1e-12
    gradient, _ = il.loss_derivatives(loss, np.tile(start, (500, 1)), y, weights=w, **options)
    np.testing.assert_allclose(gradient.sum(axis=0), 0.0, atol=1e-6 * w.sum())


def test_start_closed_forms_and_absent_classes():
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    counts = np.bincount(y)
    np.testing.assert_allclose(ilx.objective(il.softmax_cross_entropy).start(y), np.log(counts / 100))
    # Logit adjustment at tau = 1 by the labels' own prior: 0 (cross-entropy's log pi would diverge).
    np.testing.assert_allclose(ilx.objective(il.logit_adjusted_cross_entropy, prior=counts).start(y), 0.0)
    np.testing.assert_allclose(ilx.objective(il.balanced_softmax_cross_entropy, counts=counts).start(y), 0.0)
    # A class absent from the fold: LightGBM's floor, not -708 or -inf.
    start = ilx.objective(il.softmax_cross_entropy).start(y[y != 2], num_classes=3)
    assert start[2] == pytest.approx(FLOOR) and np.all(np.isfinite(start))
    binary = ilx.objective(il.sigmoid_cross_entropy)
    rate = 0.06
    labels = (np.arange(1000) < 60).astype(float)
    assert binary.start(labels)[0] == pytest.approx(np.log(rate / (1 - rate)))
    assert binary.start(np.zeros(10))[0] == pytest.approx(FLOOR)
    focal = ilx.objective(il.sigmoid_focal_loss, alpha=0.75, gamma=2.0)
    start = focal.start(labels)[0]
    values = [focal.value(np.full(1000, start + d), labels) for d in (-1e-3, 0.0, 1e-3)]
    assert values[1] <= min(values[0], values[2])


def test_distribution_focal_start_is_the_two_hot_mean():
    """DFL at a constant margin is cross-entropy against the weighted mean two-hot target:
    its start is that mean's log (a bin without mass at the floor), with no total gradient."""
    t = np.array([0.0, 0.25, 1.5, 3.0, 2.75])
    w = np.array([1.0, 2.0, 1.0, 0.5, 2.0])
    two_hot = np.array([[1.0, 0.0, 0.0, 0.0], [0.75, 0.25, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0],
                        [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.25, 0.75]])
    objective = ilx.objective(il.distribution_focal_loss)
    start = objective.start(t, w)  # 4 bins: the largest distance, 3, is the last bin
    np.testing.assert_allclose(np.exp(start), w @ two_hot / w.sum(), rtol=1e-14)
    gradient, _ = il.loss_derivatives(il.distribution_focal_loss, np.tile(start, (5, 1)), t, weights=w)
    np.testing.assert_allclose(gradient.sum(axis=0), 0.0, atol=1e-14)
    wider = objective.start(t, w, num_classes=6)
    np.testing.assert_allclose(wider[:4], start, rtol=1e-14)
    np.testing.assert_allclose(wider[4:], FLOOR)
    assert objective.initial_margins(t, w, num_classes=6).shape == (5, 6)
    np.testing.assert_allclose(objective.probabilities(np.tile(start, (2, 1))) @ np.arange(4), w @ t / w.sum())
    outside = r"distances in bin units, in \[0, n_bins - 1\] = \[0, 3\] .*Received: labels \[3.5\]"
    with pytest.raises(ValueError, match=outside):
        objective.derivatives(np.zeros((2, 4)), np.array([1.0, 3.5]))
    with pytest.raises(ValueError, match="one margin per bin"):
        objective.derivatives(np.zeros(2), np.array([1.0, 0.5]))
    with pytest.raises(ValueError, match="distribution over the bins"):
        ilx.XGBClassifier(loss=il.distribution_focal_loss).fit(np.zeros((4, 1)), [0, 1, 2, 3])


def test_objectives_check_options_and_labels_when_built():
    with pytest.raises(TypeError, match="gama"):
        ilx.objective(il.sigmoid_focal_loss, gama=2.0)
    with pytest.raises(ValueError, match="gamma"):
        ill.objective(il.softmax_focal_loss, gamma=-1.0)
    objective = ilc.objective(il.softmax_cross_entropy)
    with pytest.raises(ValueError, match=r"Received: labels \[3\]"):  # 1-based classes
        objective.derivatives(np.zeros((4, 3)), np.array([1, 2, 3, 1]))
    with pytest.raises(ValueError, match=r"labels \[1.5\]"):  # never truncated to 1
        objective.start(np.array([0, 1.5, 1]))
    with pytest.raises(ValueError, match="targets in \\[0, 1\\]"):
        ilx.objective(il.sigmoid_cross_entropy).derivatives(np.zeros(3), np.array([0, 1, 2]))


def test_metric_objects_in_each_library_api(rare):
    X, y = rare
    y = (y == "rare").astype(int)
    objective = ilx.objective(il.sigmoid_focal_loss, gamma=2.0)
    model = xgb.XGBClassifier(objective=objective, eval_metric=objective.metric, n_estimators=3)
    model.fit(X, y, eval_set=[(X, y)], verbose=False)
    margins = model.predict(X, output_margin=True)
    logged = model.evals_result()["validation_0"]["metric"][-1]  # beside XGBoost's default logloss
    assert logged == pytest.approx(objective.value(margins, y), rel=1e-4)  # XGBoost logs 6 digits


# --- the estimators -------------------------------------------------------------------


@pytest.mark.parametrize("library", ESTIMATORS)
def test_start_is_kept_in_the_model(library, rare, three):
    X, y = rare
    model = _estimator(library, **FROZEN[library], loss=il.sigmoid_cross_entropy).fit(X, y)
    rate = np.mean(y == "rare")
    assert model.start_[0] == pytest.approx(np.log(rate / (1 - rate)))
    np.testing.assert_allclose(model._margins(X), model.start_[0], atol=1e-5)
    # Calibrated from the first tree: the mean probability is the positive rate, not 0.67.
    assert model.predict_proba(X)[:, 1].mean() == pytest.approx(rate, abs=1e-4)
    X3, y3 = three
    model = _estimator(library, **FROZEN[library], loss=il.logit_adjusted_cross_entropy,
                       loss_options={"prior": np.bincount(y3)}).fit(X3, y3)
    np.testing.assert_allclose(model.start_, 0.0, atol=1e-12)
    np.testing.assert_allclose(model._margins(X3), 0.0, atol=1e-5)


@pytest.mark.parametrize("library", ESTIMATORS)
def test_drop_in_classifier_with_string_labels(library, rare):
    X, y = rare
    model = _estimator(library, loss=il.sigmoid_focal_loss, loss_options={"gamma": 2.0, "alpha": 0.75})
    model.fit(X[:300], y[:300])
    assert list(model.classes_) == ["common", "rare"]
    probabilities = model.predict_proba(X[300:])
    assert probabilities.shape == (100, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert set(model.predict(X[300:])) <= {"common", "rare"}
    np.testing.assert_array_equal(model.predict(X[300:]), model.classes_[probabilities.argmax(axis=1)])
    # The loss's own probability: sigmoid of the margins.
    margins = model._margins(X[300:]).astype(np.float64)  # XGBoost's are float32
    np.testing.assert_allclose(probabilities[:, 1], 1 / (1 + np.exp(-margins)), rtol=1e-12)


@pytest.mark.parametrize("library", ESTIMATORS)
def test_model_selection_pickling_and_save_load(library, rare, tmp_path):
    X, y = rare
    model = _estimator(library, loss=il.sigmoid_focal_loss, loss_options={"gamma": 2.0})
    copy = clone(model)
    assert copy.get_params()["loss"] is il.sigmoid_focal_loss and copy.get_params()["loss_options"] == {"gamma": 2.0}
    for name, value in ESTIMATORS[library][1].items():  # the library's own parameters survive clone
        assert copy.get_params()[name] == value, name
    for scoring in ("roc_auc", "neg_log_loss", "balanced_accuracy"):
        scores = cross_val_score(model, X, y, scoring=scoring, cv=3)
        assert np.all(np.isfinite(scores)), scoring
    grid_name = {"xgboost": "max_depth", "lightgbm": "num_leaves", "catboost": "depth"}[library]
    search = GridSearchCV(model, {grid_name: [2, 3]}, scoring="roc_auc", cv=3).fit(X, y)
    assert search.best_estimator_.predict(X[:5]).dtype.kind == "U"
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))
    # The library's own save/load: the raw margins, start included.
    if library == "xgboost":
        model.get_booster().save_model(tmp_path / "model.json")
        booster = xgb.Booster(model_file=str(tmp_path / "model.json"))
        loaded = booster.predict(xgb.DMatrix(X), output_margin=True)
    elif library == "lightgbm":
        model.booster_.save_model(tmp_path / "model.txt")
        loaded = lgb.Booster(model_file=str(tmp_path / "model.txt")).predict(X, raw_score=True)
    else:
        model.save_model(str(tmp_path / "model.cbm"))
        loaded = cb.CatBoost().load_model(str(tmp_path / "model.cbm")).predict(X, prediction_type="RawFormulaVal")
    np.testing.assert_allclose(loaded, model._margins(X), rtol=1e-6, atol=1e-6)


CLASS_WEIGHT_PARAMETERS = {
    "xgboost": {"scale_pos_weight": 5.0},
    "lightgbm": {"scale_pos_weight": 5.0},
    "catboost": {"scale_pos_weight": 5.0},
}


@pytest.mark.parametrize("library", ESTIMATORS)
def test_class_weight_parameters_act_as_sample_weights(library, rare):
    X, y = rare
    weighted = _estimator(library, **CLASS_WEIGHT_PARAMETERS[library]).fit(X, y)
    explicit = _estimator(library).fit(X, y, sample_weight=np.where(y == "rare", 5.0, 1.0))
    np.testing.assert_allclose(weighted.predict_proba(X), explicit.predict_proba(X), rtol=1e-6, atol=1e-9)
    plain = _estimator(library).fit(X, y)
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X), atol=1e-3)
    assert weighted.get_params()["scale_pos_weight"] == 5.0  # the parameter as the user set it
    balanced = {"xgboost": None, "lightgbm": {"is_unbalance": True}, "catboost": {"auto_class_weights": "Balanced"}}
    if balanced[library]:
        model = _estimator(library, **FROZEN[library], **balanced[library]).fit(X, y)
        assert model.start_[0] == pytest.approx(0.0, abs=1e-9)  # balanced weights: a 50:50 start


@pytest.mark.parametrize("library", ESTIMATORS)
def test_evaluation_sets_start_from_the_training_start(library, rare):
    """No leak: an evaluation set starts from the training labels' start, and early
    stopping on the loss keeps the best iteration."""
    X, y = rare
    model = _estimator(library, loss=il.sigmoid_cross_entropy, **{
        "xgboost": {"early_stopping_rounds": 3, "n_estimators": 200},
        "lightgbm": {"n_estimators": 200},
        "catboost": {"iterations": 200, "early_stopping_rounds": 3},
    }[library])
    fit = {"lightgbm": {"callbacks": [lgb.early_stopping(3, verbose=False)]}}.get(library, {})
    if library == "xgboost":
        fit["verbose"] = False
    model.fit(X[:250], y[:250], eval_set=[(X[250:], y[250:])], **fit)
    validation = (y[250:] == "rare").astype(float)
    margins = model._margins(X[250:])
    recomputed = float(il.sigmoid_cross_entropy(margins, validation))
    if library == "xgboost":
        logged = model.evals_result()["validation_0"]["sigmoid_cross_entropy"]
        best = model.best_iteration
    elif library == "lightgbm":
        logged = model.evals_result_["valid_0"]["sigmoid_cross_entropy"]
        best = model.best_iteration_ - 1
    else:
        logged = model.get_evals_result()["validation"]["CatBoostMetric"]
        best = model.get_best_iteration()
    assert best < len(logged) - 1  # stopped early
    assert logged[best] == pytest.approx(recomputed, rel=1e-5)  # the best iteration predicts


@pytest.mark.parametrize("library", ESTIMATORS)
def test_softmax_loss_on_two_classes_and_binary_loss_on_three(library, rare, three):
    X, y = rare
    if library == "catboost":  # one margin for two classes with a custom objective: refused, with the way out
        with pytest.raises(ValueError, match="sigmoid form"):
            _estimator(library, loss=il.softmax_focal_loss).fit(X, y)
        return
    model = _estimator(library, loss=il.softmax_focal_loss, loss_options={"gamma": 2.0}).fit(X, y)
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (400, 2) and model.start_.shape == (2,)
    margins = model._margins(X).astype(np.float64)
    assert margins.shape == (400, 2)
    np.testing.assert_allclose(probabilities, np.exp(margins) / np.exp(margins).sum(axis=1, keepdims=True))
    assert model.predict(X).shape == (400,)
    X3, y3 = three
    with pytest.raises(ValueError, match="needs a softmax loss"):
        _estimator(library, loss=il.sigmoid_focal_loss).fit(X3, y3)

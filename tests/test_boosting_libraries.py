"""The objectives inside XGBoost, LightGBM and CatBoost, native and scikit-learn APIs.

Our sigmoid cross-entropy reproduces each library's built-in logistic objective
(same margins to float tolerance from the same start, sample weights included), and
softmax cross-entropy its multi-class objective once the library's Hessian
convention is applied: XGBoost's ``multi:softprob`` uses ``2 p (1 - p)``, LightGBM's
``multiclass`` ``K / (K - 1) p (1 - p)``, CatBoost's ``MultiClass`` the full softmax
Hessian ``diag(p) - p p^T``; ours is the exact diagonal ``p (1 - p)``.
"""

import warnings

import numpy as np
import pytest

import imbalance_losses as il

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
cb = pytest.importorskip("catboost")
datasets = pytest.importorskip("sklearn.datasets")

import imbalance_losses.catboost as ilc
import imbalance_losses.lightgbm as ill
import imbalance_losses.xgboost as ilx

ROUNDS = 12
pytestmark = pytest.mark.filterwarnings("ignore:Failed to import numba")


@pytest.fixture(scope="module")
def binary():
    X, y = datasets.make_classification(600, 8, weights=[0.9], random_state=0)
    return X, y, np.random.default_rng(0).random(len(y)) + 0.5


@pytest.fixture(scope="module")
def multiclass():
    X, y = datasets.make_classification(600, 8, n_informative=5, n_classes=4, weights=[0.6, 0.2, 0.15, 0.05],
                                        random_state=0)
    return X, y, np.random.default_rng(1).random(len(y)) + 0.5


def _scaled_hessian(base, factor, loss=il.softmax_cross_entropy):
    """A test-only objective: ours with the library's Hessian convention applied."""

    class Scaled(base):
        def derivatives(self, *args):
            gradient, hessian = super().derivatives(*args)
            return gradient, factor * hessian

    return Scaled(loss)


# --- XGBoost ---------------------------------------------------------------------------

XGB = {"max_depth": 3, "eta": 0.3, "nthread": 1}


def test_xgboost_native_binary_matches_logistic(binary):
    X, y, w = binary
    data = xgb.DMatrix(X, y, weight=w)
    objective = ilx.objective(il.sigmoid_cross_entropy)
    builtin = xgb.train({**XGB, "objective": "binary:logitraw", "base_score": 0.0}, data, ROUNDS)
    ours = xgb.train({**XGB, "base_score": 0.0, "disable_default_eval_metric": True}, data, ROUNDS, obj=objective)
    np.testing.assert_allclose(ours.predict(data, output_margin=True), builtin.predict(data, output_margin=True),
                               atol=1e-5)


def test_xgboost_sklearn_binary_matches_logistic_with_weights(binary):
    X, y, w = binary
    objective = ilx.objective(il.sigmoid_cross_entropy)
    builtin = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, base_score=0.2, n_jobs=1).fit(X, y, sample_weight=w)
    ours = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, base_score=0.2, n_jobs=1, objective=objective)
    ours.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), builtin.predict_proba(X), atol=1e-5)
    # without the weights the model differs: they are used, once
    unweighted = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, base_score=0.2, n_jobs=1, objective=objective)
    assert np.abs(unweighted.fit(X, y).predict_proba(X) - builtin.predict_proba(X)).max() > 1e-3


def test_xgboost_multiclass_matches_softprob(multiclass):
    X, y, w = multiclass
    data = xgb.DMatrix(X, y, weight=w)
    params = {**XGB, "num_class": 4, "base_score": 0.0}
    builtin = xgb.train({**params, "objective": "multi:softprob"}, data, ROUNDS)
    objective = _scaled_hessian(ilx.XGBoostObjective, 2.0)
    ours = xgb.train({**params, "disable_default_eval_metric": True}, data, ROUNDS, obj=objective)
    np.testing.assert_allclose(ours.predict(data, output_margin=True), builtin.predict(data, output_margin=True),
                               atol=1e-5)
    sk_builtin = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, base_score=0.0, n_jobs=1).fit(X, y, sample_weight=w)
    sk_ours = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=3, base_score=0.0, n_jobs=1, objective=objective)
    np.testing.assert_allclose(sk_ours.fit(X, y, sample_weight=w).predict_proba(X), sk_builtin.predict_proba(X),
                               atol=1e-5)


def test_xgboost_focal_trains_with_its_metric_and_early_stopping(multiclass):
    X, y, _ = multiclass
    train, valid = xgb.DMatrix(X[:400], y[:400]), xgb.DMatrix(X[400:], y[400:])
    objective = ilx.objective(il.softmax_focal_loss, gamma=2.0)
    history = {}
    booster = xgb.train({**XGB, "num_class": 4, "base_score": 0.0, "disable_default_eval_metric": True}, train, 200,
                        obj=objective, custom_metric=objective.metric, evals=[(train, "train"), (valid, "valid")],
                        early_stopping_rounds=5, evals_result=history, verbose_eval=False)
    curve = history["train"]["softmax_focal_loss"]
    assert curve[-1] < 0.5 * curve[0]
    assert booster.best_iteration < 199
    np.testing.assert_allclose(curve[-1], float(il.softmax_focal_loss(
        booster.predict(train, output_margin=True, iteration_range=(0, len(curve))), y[:400], gamma=2.0)), rtol=1e-5)


# --- LightGBM --------------------------------------------------------------------------

LGB = {"num_leaves": 7, "learning_rate": 0.3, "verbose": -1, "deterministic": True, "num_threads": 1}


def test_lightgbm_native_binary_matches_binary(binary):
    X, y, w = binary
    objective = ill.objective(il.sigmoid_cross_entropy)
    # LightGBM's built-in starts from the weighted log-odds (boost_from_average); a custom
    # objective from 0 unless given init_score: the prior.
    start = objective.initial_margins(y, w)
    builtin = lgb.train({**LGB, "objective": "binary"}, lgb.Dataset(X, y, weight=w), ROUNDS)
    ours = lgb.train({**LGB, "objective": objective}, lgb.Dataset(X, y, weight=w, init_score=start), ROUNDS)
    np.testing.assert_allclose(ours.predict(X) + objective.start(y, w), builtin.predict(X, raw_score=True), atol=1e-6)


def test_lightgbm_sklearn_matches_with_weights(binary, multiclass):
    for (X, y, w), objective, builtin_params in (
        (binary, ill.objective(il.sigmoid_cross_entropy), {}),
        (multiclass, _scaled_hessian(ill.LightGBMObjective, 4 / 3), {}),
    ):
        builtin = lgb.LGBMClassifier(n_estimators=ROUNDS, **LGB, **builtin_params).fit(X, y, sample_weight=w)
        ours = lgb.LGBMClassifier(n_estimators=ROUNDS, objective=objective, **LGB)
        ours.fit(X, y, sample_weight=w, init_score=objective.initial_margins(y, w))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # LightGBM: raw scores for a custom objective
            scores = ours.predict_proba(X)
        probabilities = objective.probabilities(scores + objective.start(y, w))
        expected = builtin.predict_proba(X)
        np.testing.assert_allclose(probabilities, expected[:, 1] if expected.shape[1] == 2 else expected, atol=1e-6)


def test_lightgbm_multiclass_native_and_metric(multiclass):
    X, y, w = multiclass
    objective = _scaled_hessian(ill.LightGBMObjective, 4 / 3)
    builtin = lgb.train({**LGB, "objective": "multiclass", "num_class": 4}, lgb.Dataset(X, y, weight=w), ROUNDS)
    train = lgb.Dataset(X, y, weight=w, init_score=objective.initial_margins(y, w))
    history = {}
    ours = lgb.train({**LGB, "objective": objective, "num_class": 4, "metric": "None"}, train, ROUNDS,
                     valid_sets=[train], valid_names=["train"], feval=objective.metric,
                     callbacks=[lgb.record_evaluation(history)])
    np.testing.assert_allclose(ours.predict(X) + objective.start(y, w), builtin.predict(X, raw_score=True), atol=1e-6)
    np.testing.assert_allclose(history["train"]["softmax_cross_entropy"][-1],
                               float(il.softmax_cross_entropy(ours.predict(X) + objective.start(y, w), y, weights=w)),
                               rtol=1e-6)


# --- CatBoost --------------------------------------------------------------------------

CB = {"iterations": ROUNDS, "depth": 3, "learning_rate": 0.3, "verbose": 0, "random_seed": 0, "thread_count": 1,
      "allow_writing_files": False,
      "boost_from_average": False, "leaf_estimation_method": "Newton", "bootstrap_type": "No", "random_strength": 0}


def test_catboost_binary_matches_logloss(binary):
    X, y, w = binary
    objective = ilc.objective(il.sigmoid_cross_entropy)
    builtin = cb.CatBoostClassifier(loss_function="Logloss", **CB).fit(X, y, sample_weight=w)
    ours = cb.CatBoostClassifier(loss_function=objective, eval_metric=objective.metric, **CB).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict(X, prediction_type="RawFormulaVal"),
                               builtin.predict(X, prediction_type="RawFormulaVal"), atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X), builtin.predict_proba(X), atol=1e-9)
    assert ours.get_best_score()["learn"]["CatBoostMetric"] == pytest.approx(
        float(il.sigmoid_cross_entropy(ours.predict(X, prediction_type="RawFormulaVal"), y.astype(float), weights=w)),
        rel=1e-6)


def test_catboost_multiclass_matches_with_the_full_hessian(multiclass):
    X, y, w = multiclass
    X, y, w = X[:300], y[:300], w[:300]

    class FullHessian(ilc.CatBoostObjective):
        # CatBoost's MultiClass takes the full softmax Hessian; ours is its diagonal. The
        # off-diagonal -p_i p_j w is added here to compare the rest with the built-in.
        def calc_ders_multi(self, approx, target, weight):
            gradient, diagonal = super().calc_ders_multi(approx, target, weight)
            z = np.asarray(approx)
            p = np.exp(z - z.max())
            p /= p.sum()
            full = np.outer(p, p) * (1.0 if weight is None else weight)
            np.fill_diagonal(full, np.diag(diagonal))
            return gradient, full.tolist()

    objective = FullHessian(il.softmax_cross_entropy)
    builtin = cb.CatBoostClassifier(loss_function="MultiClass", **CB).fit(X, y, sample_weight=w)
    ours = cb.CatBoostClassifier(loss_function=objective, eval_metric=objective.metric, classes_count=4, **CB)
    ours.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), builtin.predict_proba(X), atol=1e-9)
    plain = ilc.objective(il.softmax_focal_loss)
    model = cb.CatBoostClassifier(loss_function=plain, eval_metric=plain.metric, classes_count=4, **CB).fit(X, y)
    assert model.predict_proba(X).shape == (300, 4)


@pytest.fixture(scope="module")
def skewed_regression():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 6))
    y = np.exp(X[:, 0] + 0.5 * X[:, 1]) + rng.normal(size=500) * 0.1  # right-skewed targets
    return X, y, rng.random(500) + 0.5


def test_regression_objectives_match_squared_error(skewed_regression):
    """Focal-R at gamma = 0 is the squared error e^2: twice XGBoost's and LightGBM's e^2/2,
    gradient and Hessian alike, so without L2 leaf regularisation (lambda would count twice
    the Hessian) both libraries grow the same trees from the same start, weighted."""
    X, y, w = skewed_regression
    objective = ilx.objective(il.focal_regression_loss, gamma=0.0)
    start = float(objective.start(y, w)[0])
    assert start == pytest.approx(np.average(y, weights=w), rel=1e-12)  # the squared error's minimiser
    params = {"n_estimators": ROUNDS, "max_depth": 3, "reg_lambda": 0.0, "min_child_weight": 0.0, "base_score": start}
    builtin = xgb.XGBRegressor(objective="reg:squarederror", **params).fit(X, y, sample_weight=w)
    ours = xgb.XGBRegressor(objective=objective, **params).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict(X), builtin.predict(X), rtol=1e-5, atol=1e-5)
    lgb_params = {"n_estimators": ROUNDS, "num_leaves": 8, "reg_lambda": 0.0, "min_child_weight": 0.0,
                  "min_sum_hessian_in_leaf": 0.0, "verbose": -1}
    lgb_builtin = lgb.LGBMRegressor(objective="regression", **lgb_params).fit(X, y, sample_weight=w)
    lgb_ours = lgb.LGBMRegressor(objective=ill.objective(il.focal_regression_loss, gamma=0.0), **lgb_params)
    lgb_ours.fit(X, y, sample_weight=w, init_score=np.full(len(y), start))
    np.testing.assert_allclose(lgb_ours.predict(X) + start, lgb_builtin.predict(X), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["gai", "bni"])
def test_balanced_mse_objectives_train_both_libraries(skewed_regression, method):
    """GAI and BNI train XGBoost and LightGBM regressors from their own start: the training
    loss falls below the start's, and the rare high targets are predicted higher than by the
    squared error (the balancing term's push away from the frequent range)."""
    from sklearn.mixture import GaussianMixture

    X, y, _ = skewed_regression
    edges = np.linspace(y.min(), y.max(), 13)
    options = ({"gmm": tuple(getattr(GaussianMixture(3, random_state=0).fit(y[:, None]), name)
                             for name in ("weights_", "means_", "covariances_"))} if method == "gai" else
               {"bin_edges": edges, "bin_counts": np.histogram(y, edges)[0]})
    objective = ilx.objective(il.balanced_mse_loss, method=method, noise_variance=0.5, **options)
    start = float(objective.start(y)[0])
    model = xgb.XGBRegressor(n_estimators=30, max_depth=3, objective=objective, base_score=start).fit(X, y)
    plain = xgb.XGBRegressor(n_estimators=30, max_depth=3, base_score=float(y.mean())).fit(X, y)
    rare = y > np.quantile(y, 0.95)
    assert objective.value(model.predict(X), y) < objective.value(np.full(len(y), start), y)
    assert np.mean(model.predict(X)[rare]) > np.mean(plain.predict(X)[rare])
    lgb_model = lgb.LGBMRegressor(n_estimators=30, num_leaves=8, verbose=-1,
                                  objective=ill.objective(il.balanced_mse_loss, method=method, noise_variance=0.5,
                                                          **options))
    lgb_model.fit(X, y, init_score=np.full(len(y), start))
    assert objective.value(lgb_model.predict(X) + start, y) < objective.value(np.full(len(y), start), y)


BINS = 8


@pytest.fixture(scope="module")
def distances():
    """A box side's distance in bin units, 0 .. 7 (a right-skewed real target), as the
    distribution focal loss's targets."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(600, 6))
    t = np.clip(2.0 + 1.2 * X[:, 0] + 0.6 * X[:, 1] ** 2 + 0.3 * rng.normal(size=600), 0, BINS - 1)
    return X, t, rng.random(600) + 0.5


def test_distribution_focal_objectives_match_softmax_on_whole_bins(distances):
    """On whole-bin distances the two-hot target is one-hot: the DFL objective is softmax
    cross-entropy and grows XGBoost's multi:softprob and LightGBM's multiclass trees (their
    Hessian conventions applied), weighted, from the same start."""
    X, t, w = distances
    bins = np.round(t)
    data = xgb.DMatrix(X, bins, weight=w)
    params = {**XGB, "num_class": BINS, "base_score": 0.0}
    builtin = xgb.train({**params, "objective": "multi:softprob"}, data, ROUNDS)
    objective = _scaled_hessian(ilx.XGBoostObjective, 2.0, il.distribution_focal_loss)
    ours = xgb.train({**params, "disable_default_eval_metric": True}, data, ROUNDS, obj=objective)
    np.testing.assert_allclose(ours.predict(data, output_margin=True), builtin.predict(data, output_margin=True),
                               atol=1e-5)
    objective = _scaled_hessian(ill.LightGBMObjective, BINS / (BINS - 1), il.distribution_focal_loss)
    start = objective.start(bins, w, num_classes=BINS)
    lgb_builtin = lgb.train({**LGB, "objective": "multiclass", "num_class": BINS}, lgb.Dataset(X, bins, weight=w),
                            ROUNDS)
    train = lgb.Dataset(X, bins, weight=w, init_score=objective.initial_margins(bins, w, num_classes=BINS))
    lgb_ours = lgb.train({**LGB, "objective": objective, "num_class": BINS}, train, ROUNDS)
    np.testing.assert_allclose(lgb_ours.predict(X) + start, lgb_builtin.predict(X, raw_score=True), atol=1e-6)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_distribution_focal_objectives_learn_the_distance(distances, library):
    """On real distances each library trains a distribution over the bins from the
    objective's start: the loss falls, its metric reports the loss of the model's margins,
    and the distribution's expectation predicts held-out distances far better than the
    start's (the weighted mean distance)."""
    X, t, w = distances
    train, valid = slice(0, 450), slice(450, None)
    objective = {"xgboost": ilx, "lightgbm": ill}[library].objective(il.distribution_focal_loss)
    start = objective.initial_margins(t[train], w[train], num_classes=BINS)
    rounds, history = 40, {}
    if library == "xgboost":
        data = xgb.DMatrix(X[train], t[train], weight=w[train], base_margin=start)
        model = xgb.train({**XGB, "num_class": BINS, "disable_default_eval_metric": True}, data, rounds,
                          obj=objective, custom_metric=objective.metric, evals=[(data, "train")],
                          evals_result=history, verbose_eval=False)
        curve = history["train"]["distribution_focal_loss"]
        margins = model.predict(xgb.DMatrix(X, base_margin=np.tile(start[0], (len(X), 1))), output_margin=True)
    else:
        data = lgb.Dataset(X[train], t[train], weight=w[train], init_score=start)
        model = lgb.train({**LGB, "objective": objective, "num_class": BINS, "metric": "None"}, data, rounds,
                          valid_sets=[data], valid_names=["train"], feval=objective.metric,
                          callbacks=[lgb.record_evaluation(history)])
        curve = history["train"]["distribution_focal_loss"]
        margins = model.predict(X) + start[0]
    margins = margins.reshape(len(X), BINS)
    first = objective.value(start, t[train], w[train])
    assert curve[-1] < 0.7 * first
    np.testing.assert_allclose(curve[-1], objective.value(margins[train], t[train], w[train]), rtol=1e-5)
    expected = objective.probabilities(margins) @ np.arange(BINS)
    constant = objective.probabilities(start[:1]) @ np.arange(BINS)
    assert np.mean(np.abs(expected[valid] - t[valid])) < 0.5 * np.mean(np.abs(constant - t[valid]))


def test_distribution_focal_objective_in_catboost_says_why_not(distances):
    """CatBoost reads a multi-class objective's targets as class indices (a real distance
    raises inside it) and takes no baseline with a multi-target objective: the objective
    refuses at once, naming the libraries that train it."""
    X, t, _ = distances
    with pytest.raises(cb.CatBoostError, match="not expected class index"):
        softmax = ilc.objective(il.softmax_cross_entropy)
        cb.CatBoost({**CB, "loss_function": softmax, "eval_metric": softmax.metric, "classes_count": BINS}).fit(X, t)
    with pytest.raises(ValueError, match="imbalance_losses.xgboost.objective or imbalance_losses.lightgbm"):
        ilc.objective(il.distribution_focal_loss)


def test_objective_errors():
    with pytest.raises(ValueError, match="Invalid value for argument `loss`"):
        ilx.objective(il.dice_loss)
    with pytest.raises(TypeError, match="`weights`"):
        ill.objective(il.sigmoid_focal_loss, weights=np.ones(3))
    with pytest.raises(ValueError, match="one margin per class"):
        ilx.objective(il.softmax_focal_loss).derivatives(np.zeros(4), np.zeros(4))


@pytest.mark.parametrize("name", ["xgboost_focal", "lightgbm_focal", "catboost_focal"])
def test_examples_run(name):
    """The examples/ scripts run and their models beat chance on the minority classes."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main()
    scores = [value[0] if isinstance(value, tuple) else value for key, value in results.items() if "loss" not in key]
    assert min(scores) > 0.6

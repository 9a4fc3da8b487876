"""Imbalanced regression against the reference code, transcribed in torch.

jiawei-ren/BalancedMSE (``imdb-wiki-dir/balanaced_mse.py``, ``synthetic_benchmark/loss.py``)
and YyzHarry/imbalanced-regression (``loss.py``, ``datasets.py``'s ``_prepare_weights``,
``utils.py``'s ``get_lds_kernel_window``), without their hard-coded ``.cuda()``. The option
mapping: their ``noise_var`` is our ``noise_variance`` (their class's ``noise_sigma`` is
its square root, as our classes hold it); their ``bucket_centers``/``bucket_weights`` are
our ``bin_edges``' midpoints and ``bin_counts`` normalised; their ``gmm`` dict is our
``gmm=(weights, means, variances)``; their weighted losses' ``mean(w * loss)`` is our
``reduction="sum"`` over the element count (our ``"mean"`` is the weighted mean); their
LDS ``max_target=121`` integer bins are our ``bin_edges=0, 1, ..., 121``.
"""

import numpy as np
import pytest

import imbalance_losses as il

torch = pytest.importorskip("torch")
F = torch.nn.functional
MVN = torch.distributions.MultivariateNormal


def bmc_reference(pred, target, noise_var):
    logits = -0.5 * (pred - target.T).pow(2) / noise_var
    loss = F.cross_entropy(logits, torch.arange(pred.shape[0]))
    return loss * (2 * noise_var).detach()


def bmc_md_reference(pred, target, noise_var):
    eye = torch.eye(pred.shape[-1], dtype=pred.dtype)
    logits = MVN(pred.unsqueeze(1), noise_var * eye).log_prob(target.unsqueeze(0))
    return F.cross_entropy(logits, torch.arange(pred.shape[0])) * (2 * noise_var).detach()


def gai_reference(pred, target, gmm, noise_var):
    gmm = {k: gmm[k].reshape(1, -1).expand(pred.shape[0], -1) for k in gmm}
    mse_term = F.mse_loss(pred, target, reduction="none") / 2 / noise_var + 0.5 * noise_var.log()
    sum_var = gmm["variances"] + noise_var
    balancing = -0.5 * sum_var.log() - 0.5 * (pred - gmm["means"]).pow(2) / sum_var + gmm["weights"].log()
    loss = mse_term + torch.logsumexp(balancing, dim=-1, keepdim=True)
    return (loss * (2 * noise_var).detach()).mean()


def gai_md_reference(pred, target, gmm, noise_var):
    eye = torch.eye(pred.shape[-1], dtype=pred.dtype)
    mse_term = -MVN(pred, noise_var * eye).log_prob(target)
    balancing = MVN(gmm["means"], gmm["variances"] + noise_var * eye).log_prob(pred.unsqueeze(1)) + gmm["weights"].log()
    loss = mse_term + torch.logsumexp(balancing, dim=1)
    return (loss * (2 * noise_var).detach()).mean()


def bni_reference(pred, target, noise_var, bucket_centers, bucket_weights):
    mse_term = F.mse_loss(pred, target, reduction="none") / 2 / noise_var
    n = bucket_centers.shape[0]
    centers = bucket_centers.unsqueeze(0).repeat(pred.shape[0], 1)
    weights = bucket_weights.unsqueeze(0).repeat(pred.shape[0], 1)
    balancing = -0.5 * (pred.expand(-1, n) - centers).pow(2) / noise_var + weights.log()
    loss = mse_term + torch.logsumexp(balancing, dim=-1, keepdim=True)
    return (loss * (2 * noise_var).detach()).mean()


def focal_reference(inputs, targets, weights, kind, activate, beta, gamma):
    loss = (inputs - targets) ** 2 if kind == "mse" else F.l1_loss(inputs, targets, reduction="none")
    loss = loss * ((torch.tanh(beta * torch.abs(inputs - targets))) ** gamma if activate == "tanh"
                   else (2 * torch.sigmoid(beta * torch.abs(inputs - targets)) - 1) ** gamma)
    return torch.mean(loss * weights.expand_as(loss))


def _both_gradients(reference, ours, pred, sigma):
    """Value and gradients (predictions, sigma) of the reference and of ours, sigma learnable."""
    results = []
    for fn in (reference, ours):
        p = pred.clone().requires_grad_(True)
        s = torch.tensor(sigma, dtype=torch.float64, requires_grad=True)
        value = fn(p, s * s)
        results.append((value.detach(), *torch.autograd.grad(value, (p, s))))
    return results


def _assert_same(reference, ours):
    for a, b in zip(reference, ours):
        torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("d", [1, 3])
def test_bmc_equals_the_reference_with_the_noise_gradient(d, rng):
    pred, target = (torch.tensor(rng.normal(size=(16, d)) * 2) for _ in range(2))
    reference = bmc_reference if d == 1 else bmc_md_reference
    _assert_same(*_both_gradients(lambda p, v: reference(p, target, v),
                                  lambda p, v: il.balanced_mse_loss(p, target, noise_variance=v), pred, 0.7))


@pytest.mark.parametrize("d", [1, 2])
def test_gai_equals_the_reference_with_the_noise_gradient(d, rng):
    from sklearn.mixture import GaussianMixture

    train = rng.normal(size=(400, d)) ** 2
    mixture = GaussianMixture(4, covariance_type="full" if d == 1 else "diag", random_state=0).fit(train)
    pred, target = (torch.tensor(rng.normal(size=(12, d)) * 2) for _ in range(2))
    gmm = {"weights": torch.tensor(mixture.weights_), "means": torch.tensor(mixture.means_.reshape(4, d)),
           "variances": torch.tensor(mixture.covariances_.reshape(4, d))}
    if d == 1:
        reference = lambda p, v: gai_reference(p, target, {k: x.reshape(-1) for k, x in gmm.items()}, v)  # noqa: E731
    else:
        full = {**gmm, "variances": torch.diag_embed(gmm["variances"])}
        reference = lambda p, v: gai_md_reference(p, target, full, v)  # noqa: E731
    ours = lambda p, v: il.balanced_mse_loss(  # noqa: E731
        p, target, method="gai", noise_variance=v, gmm=(mixture.weights_, mixture.means_, mixture.covariances_))
    _assert_same(*_both_gradients(reference, ours, pred, 1.3))


def test_bni_equals_the_reference_with_the_noise_gradient(rng):
    edges = np.linspace(-4, 4, 17)
    counts = rng.integers(1, 50, 16).astype(np.float64)
    pred, target = (torch.tensor(rng.normal(size=(10, 1)) * 2) for _ in range(2))
    centres, weights = torch.tensor((edges[1:] + edges[:-1]) / 2), torch.tensor(counts / counts.sum())
    _assert_same(*_both_gradients(
        lambda p, v: bni_reference(p, target, v, centres, weights),
        lambda p, v: il.balanced_mse_loss(p, target, method="bni", noise_variance=v, bin_edges=edges,
                                          bin_counts=counts), pred, 0.9))


@pytest.mark.parametrize(("kind", "activation", "gamma"), [("mse", "sigmoid", 1.0), ("l1", "tanh", 2.0),
                                                            ("mse", "tanh", 0.5)])
def test_focal_regression_equals_the_reference(kind, activation, gamma, rng):
    inputs = torch.tensor(rng.normal(size=(20, 1)) * 3, requires_grad=True)
    targets, weights = torch.tensor(rng.normal(size=(20, 1))), torch.tensor(rng.random((20, 1)) * 2)
    expected = focal_reference(inputs, targets, weights, kind, activation, 0.3, gamma)
    ours = il.focal_regression_loss(inputs, targets, kind=kind, activation=activation, beta=0.3, gamma=gamma,
                                    weights=weights, reduction="sum") / inputs.numel()
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=0)
    torch.testing.assert_close(torch.autograd.grad(ours, inputs)[0], torch.autograd.grad(expected, inputs)[0],
                               rtol=1e-10, atol=1e-15)


def _prepare_weights(labels, reweight, lds_kernel, lds_ks, lds_sigma, max_target=121):
    """YyzHarry/imbalanced-regression's IMDBWIKI._prepare_weights (the dataset's ages)."""
    from scipy.ndimage import convolve1d, gaussian_filter1d
    from scipy.signal.windows import triang

    value_dict = {x: 0 for x in range(max_target)}
    for label in labels:
        value_dict[min(max_target - 1, int(label))] += 1
    if reweight == "sqrt_inv":
        value_dict = {k: np.sqrt(v) for k, v in value_dict.items()}
    elif reweight == "inverse":
        value_dict = {k: np.clip(v, 5, 1000) for k, v in value_dict.items()}
    half_ks = (lds_ks - 1) // 2
    if lds_kernel == "gaussian":
        base = [0.0] * half_ks + [1.0] + [0.0] * half_ks
        window = gaussian_filter1d(base, sigma=lds_sigma) / max(gaussian_filter1d(base, sigma=lds_sigma))
    elif lds_kernel == "triang":
        window = triang(lds_ks)
    else:
        laplace = lambda x: np.exp(-abs(x) / lds_sigma) / (2.0 * lds_sigma)  # noqa: E731
        window = np.array(list(map(laplace, np.arange(-half_ks, half_ks + 1))))
        window = window / window.max()
    # float64: the reference passes the clipped integer counts of "inverse" as an integer array,
    # which convolve1d smooths into integers (rounded down): a dtype artefact, not the method.
    smoothed = convolve1d(np.asarray(list(value_dict.values()), dtype=np.float64), weights=window, mode="constant")
    weights = np.array([1 / smoothed[min(max_target - 1, int(label))] for label in labels])
    return weights * len(weights) / weights.sum()


@pytest.mark.parametrize(("reweight", "kernel", "size", "sigma"), [
    ("sqrt_inv", "gaussian", 5, 2.0), ("inverse", "gaussian", 9, 1.0), ("sqrt_inv", "triang", 7, 2.0),
    ("inverse", "laplace", 5, 2.0), ("sqrt_inv", "gaussian", 3, 0.5)])
def test_lds_weights_equal_the_reference(reweight, kernel, size, sigma, rng):
    ages = np.clip(rng.gamma(4.0, 8.0, size=3000), 0, 130)  # long-tailed, beyond max_target too
    expected = _prepare_weights(ages, reweight, kernel, size, sigma)
    ours = il.lds_weights(ages, bin_edges=np.arange(122.0), kernel=kernel, kernel_size=size, sigma=sigma,
                          reweight={"sqrt_inv": "sqrt_inverse", "inverse": "inverse"}[reweight])
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
    assert ours.mean() == pytest.approx(1.0, rel=1e-12)


def test_lds_weights_float_bins_on_every_framework(autodiff_framework, rng):
    """Float bins (targets in [0, 5], BalancedMSE#15's ask) on torch, JAX and TF equal NumPy's."""
    targets = rng.beta(2, 8, size=(40, 1)) * 5
    edges = np.linspace(0, 5, 26)
    expected = il.lds_weights(targets, bin_edges=edges)
    f = autodiff_framework
    got = il.lds_weights(f.asarray(targets.astype(np.float32)), bin_edges=edges)
    assert tuple(got.shape) == (40, 1)
    np.testing.assert_allclose(f.to_numpy(got), expected, rtol=1e-5)
    # Rare targets weigh more; no smoothing (kernel=None) is plain inverse-sqrt frequency.
    assert expected[targets.argmax()] > expected[np.abs(targets - np.median(targets)).argmin()]
    counts = np.bincount(np.clip(np.searchsorted(edges, targets[:, 0], "right") - 1, 0, 24), minlength=25)
    plain = 1 / np.sqrt(counts[np.clip(np.searchsorted(edges, targets[:, 0], "right") - 1, 0, 24)])
    np.testing.assert_allclose(il.lds_weights(targets, bin_edges=edges, kernel=None)[:, 0], plain / plain.mean())


def test_gai_matches_mse_for_a_tiny_noise(rng):
    """The maintainer's advice (BalancedMSE#10): with a small noise variance the balancing term's
    pull, bounded by the mixture's own variances, vanishes next to the MSE term's: GAI starts as
    plain MSE does (its gradient, times the detached 2 sigma^2, is 2 (pred - target))."""
    pred, target = rng.normal(size=(64, 1)), rng.normal(size=(64, 1))
    g, _ = il.loss_derivatives(il.balanced_mse_loss, pred, target, method="gai", gmm=([0.4, 0.6], [0.0, 1.0], [1.0, 0.5]),
                               noise_variance=1e-6)
    np.testing.assert_allclose(g, 2 * (pred - target), rtol=1e-5, atol=1e-5)


def test_bmc_candidates_and_weights(rng):
    """A target of weight 0 (a masked pixel) is no candidate; per-sample losses keep the sample shape."""
    pred, target = rng.normal(size=(2, 4, 3, 1)), rng.normal(size=(2, 4, 3, 1))
    mask = (rng.random((2, 4, 3)) < 0.6).astype(np.float64)
    kept = mask.reshape(-1) > 0
    full = il.balanced_mse_loss(pred, target, weights=mask, reduction="sum")
    subset = il.balanced_mse_loss(pred.reshape(-1, 1)[kept], target.reshape(-1, 1)[kept], reduction="sum")
    assert full == pytest.approx(subset, rel=1e-12)
    assert il.balanced_mse_loss(pred, target, reduction="none").shape == (2, 4, 3)
    # A trailing axis of 1 on the weights (lds_weights of targets (N, 1)) is accepted.
    w = rng.random((24, 1))
    assert il.balanced_mse_loss(pred.reshape(24, 1), target.reshape(24, 1), weights=w) == pytest.approx(
        il.balanced_mse_loss(pred.reshape(24, 1), target.reshape(24, 1), weights=w[:, 0]), rel=1e-14)


def test_errors_name_the_argument():
    x = np.zeros((4, 1))
    with pytest.raises(ValueError, match="`predictions`.*trailing target axis"):
        il.balanced_mse_loss(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="`method`"):
        il.balanced_mse_loss(x, x, method="mle")
    with pytest.raises(ValueError, match="`gmm`"):
        il.balanced_mse_loss(x, x, method="gai")
    with pytest.raises(ValueError, match="`bin_edges`"):
        il.balanced_mse_loss(x, x, method="bni")
    with pytest.raises(ValueError, match="`noise_variance`"):
        il.balanced_mse_loss(x, x, noise_variance=0.0)
    with pytest.raises(ValueError, match="`kernel_size`"):
        il.lds_weights(np.zeros(3), bin_edges=[0, 1, 2], kernel_size=4)
    with pytest.raises(ValueError, match="`kind`"):
        il.focal_regression_loss(x, x, kind="huber")
    with pytest.raises(ValueError, match="`method`.*BMC"):
        from imbalance_losses.xgboost import objective

        objective(il.balanced_mse_loss)


def test_regression_errors_by_bin_and_shot():
    train = np.concatenate([np.full(150, 0.5), np.full(50, 1.5), np.full(5, 2.5)])
    targets = np.array([0.5, 0.5, 1.5, 2.5])
    predictions = np.array([0.5, 1.5, 1.0, 0.5])
    report = il.regression_errors(predictions, targets, bin_edges=[0, 1, 2, 3], train_targets=train)
    assert report["all"] == pytest.approx({"mae": 3.5 / 4, "mse": 5.25 / 4, "gm": 0.0, "count": 4}, abs=1e-300)
    # Per bin: MAE 0.5, 0.5, 2.0 -> balanced 1.0; MSE 0.5, 0.25, 4 -> 1.5833...
    assert report["balanced"] == pytest.approx({"mae": 1.0, "mse": 4.75 / 3, "bins": 3})
    assert (report["many"]["count"], report["medium"]["count"], report["few"]["count"]) == (2, 1, 1)
    assert report["few"]["mae"] == 2.0


def test_torch_class_trains_sigma():
    from imbalance_losses.torch import BalancedMSELoss

    criterion = BalancedMSELoss(noise_variance=0.25)
    assert [name for name, _ in criterion.named_parameters()] == ["noise_sigma"]
    pred, target = torch.randn(16, 1, requires_grad=True), torch.randn(16, 1)
    expected = il.balanced_mse_loss(pred, target, noise_variance=torch.tensor(0.25, requires_grad=True))
    torch.testing.assert_close(criterion(pred, target), expected)
    criterion(pred, target).backward()
    assert criterion.noise_sigma.grad is not None and torch.isfinite(criterion.noise_sigma.grad)
    restored = BalancedMSELoss()
    restored.load_state_dict(criterion.state_dict())
    assert restored.noise_sigma.item() == 0.5


@pytest.mark.parametrize("method", ["bmc", "gai", "bni"])
def test_noise_gradient_on_every_framework(autodiff_framework, method, rng):
    """The learnable noise variance's closed-form gradient on torch, JAX and TensorFlow:
    2 sigma^2 times the derivative of the bracket (the factor is detached), against central
    differences of the float64 oracle divided by that factor."""
    from imbalance_losses_conformance.oracles import ORACLES

    pred, target = rng.normal(size=(9, 2)) * 2, rng.normal(size=(9, 2)) * 2
    weights = rng.random(9)
    options = {"gai": {"gmm": (np.array([0.6, 0.4]), rng.normal(size=(2, 2)), rng.random((2, 2)) + 0.3)},
               "bni": {"bin_edges": [np.linspace(-5, 5, 6)] * 2, "bin_counts": rng.integers(1, 9, (5, 5)) * 1.0},
               "bmc": {}}[method]
    q, h = 0.7, 1e-5

    def bracket(v):
        return ORACLES["balanced_mse_loss"](pred, target, method=method, noise_variance=v, weights=weights,
                                            **options) / (2 * v)

    expected = 2 * q * (bracket(q + h) - bracket(q - h)) / (2 * h)
    f = autodiff_framework
    p, t = f.asarray(pred), f.asarray(target)
    _, gradient = f.value_and_grad(
        lambda v: il.balanced_mse_loss(p, t, method=method, noise_variance=v, weights=weights, **options),
        f.asarray(np.array(q)))
    np.testing.assert_allclose(f.to_numpy(gradient), expected, rtol=1e-6)

"""Sigmoid (binary and multi-label) cross-entropy and focal loss.

Every element of ``logits`` is an independent binary decision with target
``y`` in [0, 1] of the same shape. Each loss is a closed-form term: its value
and its derivative with respect to the logit, side by side.
"""

from __future__ import annotations

from .autodiff import closed_form
from .common import OutOfRangeTargets, binary_targets, compiling, element_weights, power, start_call
from .dispatch import loss_function
from .terms import WeightedTerm
from .validation import check_array_values, check_broadcastable, check_number

__all__ = ["sigmoid_cross_entropy", "sigmoid_focal_loss"]


def start_sigmoid_call(logits, targets, **arrays):
    """The call, the logits and the targets of a sigmoid-family loss (NaN outside [0, 1])."""
    call, x = start_call(logits, targets=targets, **arrays)
    return call, x, binary_targets(call, targets, logits.shape)


def start_sigmoid_term_call(logits, targets, **arrays):
    """As :func:`start_sigmoid_call` for a closed-form term: the targets as given and their
    :class:`~.common.OutOfRangeTargets` for the term's ``targets``."""
    call, x = start_call(logits, targets=targets, **arrays)
    y = binary_targets(call, targets, logits.shape, as_given=True)
    return call, x, y, OutOfRangeTargets(call, y)


def _logistic(xp, x, sigmoids, softpluses):
    """The standard-only form: one ``exp(-|x|)`` shared by every requested term."""
    e = xp.exp(-xp.abs(x))
    nonnegative = x >= 0
    out = ()
    if sigmoids:
        r = 1 / (1 + e)
        out += (xp.where(nonnegative, r, e * r), xp.where(nonnegative, e * r, r))
    if softpluses:
        log_term = xp.log1p(e)
        out += (xp.where(nonnegative, x, 0.0) + log_term, xp.where(nonnegative, 0.0, -x) + log_term)
    return out


def logistic(xp, x, *, sigmoids=True, softpluses=True):
    """``sigmoid(x), sigmoid(-x)`` and/or ``softplus(x), softplus(-x)``, each to full relative precision.

    No term is formed as ``1 - sigmoid`` or as a difference of softplus and ``x``,
    so a tiny value (``softplus(-100) = 3.7e-44``) is exact rather than a
    cancellation to 0. Written once from ``exp(-|x|)`` and ``log1p``; an adapter's
    namespace may supply native ``sigmoid``/``softplus`` kernels with this accuracy,
    which are then used eagerly, each only where asked for (one kernel, one buffer
    each). Under a compiler the shared form is traced: one exponential serves all four.
    """
    native_sigmoid, native_softplus = getattr(xp, "sigmoid", None), getattr(xp, "softplus", None)
    if native_sigmoid is None or native_softplus is None or compiling(xp):
        return _logistic(xp, x, sigmoids, softpluses)
    minus_x = -x
    out = ()
    if sigmoids:
        out += (native_sigmoid(x), native_sigmoid(minus_x))
    if softpluses:
        out += (native_softplus(x), native_softplus(minus_x))
    return out


def sigmoid(xp, x):
    """``sigmoid(x)`` alone (for a gradient norm or a derivative)."""
    native = getattr(xp, "sigmoid", None)
    return native(x) if native is not None and not compiling(xp) else _logistic(xp, x, True, False)[0]


def blend(xp, a, b, weight):
    """``(1 - weight) a + weight b``: exactly ``a`` at weight 0 and ``b`` at weight 1.

    A target-weighted pair of terms (``y`` and ``1 - y``); an adapter's namespace may
    supply a fused ``lerp`` with the same exactness (one pass instead of four).
    """
    native = getattr(xp, "lerp", None)
    return native(a, b, weight) if native is not None else (1 - weight) * a + weight * b


@closed_form("binary_cross_entropy")
def binary_cross_entropy(xp, x, y, pos_weight_array, *, pos_weight=None):
    r"""``(1 - y) softplus(x) + pw y softplus(-x)``: two non-negative terms, no cancellation.

    :math:`-\log\sigma(x) = \mathrm{softplus}(-x)` and
    :math:`-\log\sigma(-x) = \mathrm{softplus}(x)`; ``pw`` is a static scalar or an array.
    """
    softplus_x, softplus_minus_x = logistic(xp, x, sigmoids=False)
    pw = pos_weight_array if pos_weight is None else pos_weight
    return blend(xp, softplus_x, softplus_minus_x if pw is None else pw * softplus_minus_x, y), ()


@binary_cross_entropy.defderivative
def _(xp, x, y, pos_weight_array, *, saved, pos_weight=None):
    # d softplus(x)/dx = sigmoid(x), d softplus(-x)/dx = -sigmoid(-x) = sigmoid(x) - 1:
    # (1 - y) s - pw y (1 - s), which is s - y without a positive weight.
    s = sigmoid(xp, x)
    pw = pos_weight_array if pos_weight is None else pos_weight
    return s - y if pw is None else s * (1 - y + pw * y) - pw * y


@binary_cross_entropy.defcurvature
def _(xp, x, y, pos_weight_array, *, saved, fisher, pos_weight=None):
    # d/dx of (1 - y + pw y) s - pw y: (1 - y + pw y) s (1 - s), never negative (fisher: the same).
    s, s_bar = logistic(xp, x, softpluses=False)
    pw = pos_weight_array if pos_weight is None else pos_weight
    return s * s_bar if pw is None else (1 - y + pw * y) * (s * s_bar)


def _modulated(gamma) -> bool:
    """Whether focal's ``q^gamma`` is a factor: a non-zero static exponent or an array of them."""
    return not isinstance(gamma, (int, float)) or gamma != 0


def _focal_factors(xp, x, y, alpha_array, alpha, gamma):
    """The shared parts of focal's value and derivative.

    ``q = 1 - p_t = y sigmoid(-x) + (1 - y) sigmoid(x)`` is a sum of non-negative
    terms, exact however saturated the logit; ``q^gamma`` is a direct power
    (repeated products for integer gamma), with no log space needed since the
    derivative below never forms ``q^(gamma - 1)``.
    """
    sigmoid_x, sigmoid_minus_x, softplus_x, softplus_minus_x = logistic(xp, x)
    q = blend(xp, sigmoid_x, sigmoid_minus_x, y)
    bce = blend(xp, softplus_x, softplus_minus_x, y)
    modulation = power(xp, q, gamma) if _modulated(gamma) else None
    a = alpha_array if alpha is None else alpha
    alpha_t = None if a is None else (1 - a) + (2 * a - 1) * y
    factor = modulation if alpha_t is None else (alpha_t if modulation is None else alpha_t * modulation)
    return sigmoid_x, sigmoid_minus_x, q, bce, factor


def _focusing(gamma_array, gamma):
    """Focal's exponent: the static ``gamma``, or the array when it is None."""
    return gamma_array if gamma is None else gamma


def _focal_value(q, bce, factor, epsilon):
    if epsilon:
        bce = bce + epsilon * q
    return bce if factor is None else factor * bce


@closed_form("sigmoid_focal")
def sigmoid_focal(xp, x, y, alpha_array, gamma_array=None, *, alpha, gamma, epsilon=0.0):
    r""":math:`\alpha_t q^\gamma (\mathrm{BCE} + \epsilon q)` with :math:`q = 1 - p_t`.

    ``epsilon`` is Poly-1's weight of the first polynomial term (0: focal loss).
    ``gamma=None`` takes the exponent from ``gamma_array``, positive values broadcastable
    to ``x`` (EFL's per-class focusing factors); every formula below holds for it as is.
    """
    gamma = _focusing(gamma_array, gamma)
    _, _, q, bce, factor = _focal_factors(xp, x, y, alpha_array, alpha, gamma)
    return _focal_value(q, bce, factor, epsilon), ()


@sigmoid_focal.defderivative
def _(xp, x, y, alpha_array, gamma_array=None, *, saved, alpha, gamma, epsilon=0.0):
    r"""With :math:`s = \sigma(x)`, :math:`\bar s = \sigma(-x)`:
    :math:`dq/dx = (1 - 2y) s \bar s` and :math:`d\mathrm{BCE}/dx = s - y`, so

    .. math::

        \frac{d\ell}{dx} = \alpha_t q^\gamma \left[\gamma (1 - 2y)\, r\, \mathrm{BCE} + (s - y)\right],
        \qquad r = s \bar s / q \in [0, 2]

    (:math:`r \le 2` as :math:`q \ge \max(y, 1-y)\min(s, \bar s)`). Only :math:`q^\gamma`
    appears, so the gradient is finite for every :math:`\gamma \ge 0` and every finite
    logit; where :math:`q` underflows to 0, so does :math:`s \bar s`, and :math:`r` is 0.
    :math:`s - y = (1 - y) s - y \bar s` has no cancellation. Poly-1's
    :math:`\alpha_t \epsilon q^{\gamma + 1}` adds
    :math:`\alpha_t q^\gamma \epsilon (\gamma + 1)(1 - 2y) s \bar s`.
    """
    gamma = _focusing(gamma_array, gamma)
    return _focal_slope(xp, x, y, *_focal_factors(xp, x, y, alpha_array, alpha, gamma), gamma, epsilon)


def _focal_slope(xp, x, y, s, s_bar, q, bce, factor, gamma, epsilon):
    slope = blend(xp, s, -s_bar, y)
    if _modulated(gamma):
        # + tiny: where q underflows to 0 so does s * s_bar (r -> 0), with no 0/0 and no mask.
        r = s * s_bar / (q + xp.finfo(x.dtype).smallest_normal)
        slope = slope + gamma * (1 - 2 * y) * r * bce
    if epsilon:
        slope = slope + epsilon * (gamma + 1) * (1 - 2 * y) * (s * s_bar)
    return slope if factor is None else factor * slope


@sigmoid_focal.defvalueandderivative
def _(xp, x, y, alpha_array, gamma_array=None, *, alpha, gamma, epsilon=0.0):
    # One pass over the shared factors (four logistic terms, q, BCE, the modulation).
    gamma = _focusing(gamma_array, gamma)
    s, s_bar, q, bce, factor = _focal_factors(xp, x, y, alpha_array, alpha, gamma)
    return _focal_value(q, bce, factor, epsilon), _focal_slope(xp, x, y, s, s_bar, q, bce, factor, gamma, epsilon)


@sigmoid_focal.defcurvature
def _(xp, x, y, alpha_array, gamma_array=None, *, saved, fisher, alpha, gamma, epsilon=0.0):
    r"""With :math:`q' = (1 - 2y) s\bar s`, :math:`q'' = q'(1 - 2s)`, :math:`\mathrm{BCE}' = s - y`,
    :math:`\mathrm{BCE}'' = s\bar s` and :math:`R = q'/q` (bounded, :math:`|R| \le 2`):

    .. math::

        \frac{d^2\ell}{dx^2} = \alpha_t q^\gamma \Big[s\bar s + \gamma(\gamma - 1) R^2\,\mathrm{BCE}
            + \gamma R (1 - 2s)\,\mathrm{BCE} + 2\gamma R (s - y)
            + \epsilon(\gamma + 1)\, q' (\gamma R + 1 - 2s)\Big]

    Negative for badly misclassified samples when :math:`\gamma > 0` (the
    :math:`(1 - 2s)` term: a positive with :math:`s < 1/2`), e.g. down to -0.047 at
    :math:`\gamma = 2`. The positive form (``fisher``) is the logistic model's Fisher
    information :math:`s\bar s` times the loss's effective sample weight
    :math:`w = \alpha_t q^\gamma (1 + \rho(\gamma\,\mathrm{BCE}/q + \epsilon(\gamma + 1)))`,
    :math:`\rho = s\bar s / q` (:math:`= p_t` for a hard target): for a hard target the
    gradient is :math:`w (s - y)`, so each sample's Newton step is cross-entropy's and
    the focal term acts as the sample weight it effectively is. Both forms equal
    cross-entropy's :math:`s\bar s` at :math:`\gamma = \epsilon = 0`.
    """
    gamma = _focusing(gamma_array, gamma)
    s, s_bar, q, bce, factor = _focal_factors(xp, x, y, alpha_array, alpha, gamma)
    variance = s * s_bar
    # + tiny as in the derivative: where q underflows to 0 so does s * s_bar.
    r = variance / (q + xp.finfo(x.dtype).smallest_normal)
    if fisher:
        weight = 1.0
        if _modulated(gamma):
            weight = weight + gamma * r * bce / (q + xp.finfo(x.dtype).smallest_normal)
        if epsilon:
            weight = weight + epsilon * (gamma + 1) * r
        curvature = weight * variance
    else:
        curvature = variance
        spread = s_bar - s
        if _modulated(gamma):
            signed_r = (1 - 2 * y) * r
            curvature = curvature + gamma * signed_r * (((gamma - 1) * signed_r + spread) * bce
                                                         + 2 * blend(xp, s, -s_bar, y))
        if epsilon:
            curvature = curvature + epsilon * (gamma + 1) * (1 - 2 * y) * variance * (
                (gamma * (1 - 2 * y) * r if _modulated(gamma) else 0.0) + spread)
    return curvature if factor is None else factor * curvature


@loss_function
def sigmoid_cross_entropy(logits, targets, *, pos_weight=None, label_smoothing=0.0, weights=None, reduction="mean", replica_sum=None):
    r"""Binary cross-entropy on logits, for binary and multi-label problems.

    .. math::

        \ell = -\left[w_+\, y' \log\sigma(x) + (1 - y') \log\sigma(-x)\right],
        \qquad y' = y (1 - \varepsilon) + \varepsilon / 2

    computed as :math:`w_+ y' \operatorname{softplus}(-x) + (1 - y')\operatorname{softplus}(x)`:
    finite for every finite logit, and exact to the last bits where the loss is
    tiny (:math:`x = -100, y = 0` gives :math:`3.7\cdot 10^{-44}`, where
    ``(1 - y) x + softplus(-x)`` cancels to 0). The gradient is the closed form
    :math:`(1 - y')\sigma(x) - w_+ y' \sigma(-x)`. Same as PyTorch's
    ``binary_cross_entropy_with_logits`` (``pos_weight``) and Keras'
    ``BinaryCrossentropy`` (``label_smoothing``).

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``
        Values in [0, 1]: 0/1 (bool, int or float) or soft targets.
    pos_weight : float or array broadcastable to ``logits``, default=None
        The weight :math:`w_+` of the positive term, e.g. ``n_neg / n_pos`` per
        class (shape ``(C,)`` for multi-label logits ``(N, C)``). A factor of the
        loss, not of the mean's denominator.
    label_smoothing : float in [0, 1], default=0.0
    weights : array, default=None
        Per-element weights broadcastable to ``logits``.
    reduction : {"mean", "sum", "none"}, default="mean"
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Szegedy et al., `Rethinking the Inception Architecture for Computer Vision
    <https://arxiv.org/abs/1512.00567>`_, 2016 (label smoothing); for the positive
    weight, PyTorch's ``BCEWithLogitsLoss(pos_weight=...)``.
    """
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights, pos_weight=pos_weight)
    eps = check_number("label_smoothing", label_smoothing, low=0, high=1)
    if eps:
        y = y * (1 - eps) + eps / 2
    pw_array = None
    if isinstance(pos_weight, (int, float)):
        pos_weight = check_number("pos_weight", pos_weight, low=0)
    elif pos_weight is not None:
        pw_array = call.asarray(pos_weight)
        pos_weight = None
        check_broadcastable("pos_weight", pw_array.shape, x.shape, "`logits` of shape")
        check_array_values(call.xp, "pos_weight", lambda: (pw_array >= 0) & call.xp.isfinite(pw_array),
                           "non-negative finite values")
    return WeightedTerm(call, binary_cross_entropy, x, (y, pw_array), {"pos_weight": pos_weight},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)


def alpha_option(call, alpha, shape):
    """Sigmoid focal's ``alpha``: a static number in [0, 1], an array in [0, 1] (broadcastable
    to the logits), or None: returned as ``(array_or_None, number_or_None)``."""
    if alpha is None:
        return None, None
    if isinstance(alpha, (int, float)):
        return None, check_number("alpha", alpha, low=0, high=1)
    xp = call.xp
    a = call.asarray(alpha)
    check_broadcastable("alpha", a.shape, shape, "`logits` of shape")
    check_array_values(xp, "alpha", lambda: (a >= 0) & (a <= 1), "values in [0, 1]")
    return a, None


@loss_function
def sigmoid_focal_loss(logits, targets, *, alpha=0.25, gamma=2.0, weights=None, reduction="mean", replica_sum=None):
    r"""Sigmoid focal loss (RetinaNet), for binary and multi-label problems.

    .. math::

        \ell = \alpha_t (1 - p_t)^\gamma\, \mathrm{BCE}(x, y),\quad
        p_t = y\,\sigma(x) + (1 - y)(1 - \sigma(x)),\quad
        \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    The factor :math:`1 - p_t = y\,\sigma(-x) + (1 - y)\,\sigma(x)` is a sum of
    non-negative terms, exact for any finite logit, and the gradient is written
    in closed form with only :math:`(1 - p_t)^\gamma` in it, so values and
    gradients stay finite and accurate for :math:`\gamma < 1` and saturated
    logits (where autodiff of :math:`(1-p_t)^\gamma` gives NaN). Soft targets
    follow the formula above (as torchvision and optax do). ``gamma=0`` and
    ``alpha=None`` give the binary cross-entropy; the factor is not detached.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    alpha : float in [0, 1], array broadcastable to ``logits``, or None; default=0.25
        Weight of the positive class; None switches :math:`\alpha_t` off.
    gamma : float >= 0, default=2.0
    weights : array, default=None
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over all elements (weighted); RetinaNet instead sums and
        divides by the number of positive anchors: use ``"sum"`` and divide.
    replica_sum : callable, default=None
        A function summing an array over data-parallel replicas, e.g.
        ``imbalance_losses.torch.replica_sum()``; batch statistics (the mean's
        denominator) then cover the global batch and every replica returns
        the global loss. See the distributed-training guide.

    References
    ----------
    Lin et al., `Focal Loss for Dense Object Detection
    <https://arxiv.org/abs/1708.02002>`_, 2017.
    """
    gamma = check_number("gamma", gamma, low=0)
    call, x, y, out_of_range = start_sigmoid_term_call(logits, targets, weights=weights, alpha=alpha)
    alpha_array, alpha = alpha_option(call, alpha, x.shape)
    return WeightedTerm(call, sigmoid_focal, x, (y, alpha_array), {"alpha": alpha, "gamma": gamma},
                        weights=element_weights(call, weights, x.shape), targets=out_of_range).reduce(reduction, replica_sum)

"""The Matthews correlation coefficient loss, on sigmoid probabilities over Dice's sets.

Dice and Tversky read a set's true positives, false positives and false negatives;
the Matthews correlation also reads its true negatives, which is why it is proposed
for imbalanced segmentation (a lesion that is 1% of the image). The soft counts are
sums over the set of products of the probabilities and the targets, so the loss is
ordinary array code differentiated by each framework; the sets (pooled, per image,
per class channel) and their reduction are the overlap losses'.
"""

from __future__ import annotations

from .dice import self_adjusted_sigmoid
from .dispatch import loss_function
from .overlap import check_set_options, sigmoid_overlap_loss
from .sigmoid import start_sigmoid_call

__all__ = ["mcc_loss"]


def mcc_of_sets(xp, total, q, t, smooth):
    r"""``1 - MCC`` of each set from its soft counts, ``total`` summing a set's elements.

    A set predicted exactly (no false positive, no false negative) has loss 0, also
    when it has no positive or no negative (where the product under the root is 0
    and the correlation undefined).
    """
    not_q, not_t = 1 - q, 1 - t
    true_positive, true_negative = total(q * t), total(not_q * not_t)
    false_positive, false_negative = total(q * not_t), total(not_q * t)
    numerator = true_positive * true_negative - false_positive * false_negative
    product = ((true_positive + false_positive) * (true_positive + false_negative)
               * (true_negative + false_positive) * (true_negative + false_negative))
    perfect = (false_positive == 0) & (false_negative == 0)
    # The root of a zero product (smooth=0, a set without positives or negatives) has an
    # infinite derivative: taken where the product is positive only. 0 * numerator, not 0,
    # elsewhere: a NaN count (a NaN logit, a target outside [0, 1]) stays NaN.
    positive = product + smooth > 0
    root = xp.sqrt(xp.where(positive, product + smooth, 1.0))
    correlation = xp.where(positive, numerator / root, 0 * numerator)
    return xp.where(perfect, 0 * correlation, 1 - correlation)


@loss_function
def mcc_loss(logits, targets, *, smooth=1e-5, per_image=False, class_axis=None, ignore_empty=False, weights=None,
             reduction="mean", replica_sum=None):
    r"""Matthews correlation coefficient (MCC) loss on sigmoid probabilities.

    .. math::

        \mathcal{L} = 1 - \frac{TP\cdot TN - FP\cdot FN}
            {\sqrt{(TP + FP)(TP + FN)(TN + FP)(TN + FN) + s}}

    with the soft counts of a set, :math:`TP = \sum q\,t`, :math:`TN = \sum (1-q)(1-t)`,
    :math:`FP = \sum q (1-t)`, :math:`FN = \sum (1-q)\,t` (:math:`q = \sigma(x)`,
    weighted by ``weights``). Unlike Dice and Tversky it counts the true negatives, so
    a set's loss reflects both classes; it lies in [0, 2] (2 for a perfectly inverted
    prediction). A set predicted exactly (no false positive or negative) has loss 0, as
    MONAI's ``MCCLoss``; a set without positives or negatives otherwise has correlation
    0 (loss 1). The sets are Dice's: one pooled set (default), one per image
    (``per_image``), per class channel (``class_axis``), or both. Gradients are the
    frameworks' own, through the soft counts.

    Parameters
    ----------
    logits : array of any shape
    targets : array of the shape of ``logits``, values in [0, 1]
    smooth : float >= 0, default=1e-5
        Added under the root (MONAI's ``smooth_dr``; its ``smooth_nr`` is 0).
    per_image, class_axis, ignore_empty, weights, reduction, replica_sum
        As in :func:`dice_loss` (there is no per-element form: one element has no
        correlation).

    References
    ----------
    Abhishek & Hamarneh, `Matthews Correlation Coefficient Loss for Deep Convolutional
    Networks: Application to Skin Lesion Segmentation <https://arxiv.org/abs/2010.13454>`_,
    ISBI 2021; Matthews, Biochimica et Biophysica Acta, 1975.
    """
    smooth = check_set_options(smooth=smooth, per_image=per_image, ignore_empty=ignore_empty, class_axis=class_axis,
                               reduction=reduction)
    call, x, y = start_sigmoid_call(logits, targets, weights=weights)

    def loss_of_sets(total, x, y):
        return mcc_of_sets(call.xp, total, self_adjusted_sigmoid(call, x, alpha=0.0), y, smooth)

    return sigmoid_overlap_loss(call, x, y, weights, loss_of_sets, per_sample=False, per_image=per_image,
                                class_axis=class_axis, ignore_empty=ignore_empty, reduction=reduction,
                                replica_sum=replica_sum)

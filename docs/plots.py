"""Figures of the docs, computed from imbalance_losses itself when the docs are built."""

import matplotlib.pyplot as plt
import numpy as np

import imbalance_losses as il

P = np.linspace(0.005, 0.995, 400)
LOGITS = np.log(P / (1 - P))  # logits whose sigmoid is p: one positive example per point


def _gradient(loss, x, step=1e-5):
    """d loss / d logit, elementwise, by central differences of the package's own loss."""
    return (loss(x + step) - loss(x - step)) / (2 * step)


def _panels():
    fig, (left, right) = plt.subplots(1, 2, constrained_layout=True)
    return fig, left, right


def _loss_and_gradient(left, right, curves):
    """Each curve's loss (left) and gradient (right) over the probabilities P."""
    for label, loss in curves.items():
        left.plot(P, loss(LOGITS), label=label)
        right.plot(P, _gradient(loss, LOGITS), label=label)


def focal_vs_cross_entropy():
    fig, left, right = _panels()
    ones = np.ones_like(LOGITS)
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
        def loss(x, gamma=gamma):
            return il.sigmoid_focal_loss(x, ones, alpha=None, gamma=gamma, reduction="none")
        label = "CE (γ=0)" if gamma == 0 else f"focal γ={gamma:g}"
        left.plot(P, loss(LOGITS), label=label)
        right.plot(P, -_gradient(loss, LOGITS), label=label)
    left.set(xlabel="$p_t$", ylabel="loss", title="loss vs $p_t$", ylim=(0, 5))
    right.set(xlabel="$p_t$", ylabel="$-\\partial\\ell/\\partial x$", title="gradient weight vs $p_t$")
    left.legend()


def truncation():
    fig, left, right = _panels()
    ones = np.ones_like(LOGITS)
    def hard(x):
        return il.hard_truncated_loss(x, ones, reduction="none")
    left.plot(P, il.sigmoid_cross_entropy(LOGITS, ones, reduction="none"), "k:", label="CE")
    left.plot(P, hard(LOGITS), "k", label="hard (m=0.5)")
    right.plot(P, -_gradient(hard, LOGITS), "k", label="hard (m=0.5)")
    for k in (1.0, 4.0, 16.0):
        def soft(x, k=k):
            return il.soft_truncated_loss(x, ones, k=k, reduction="none")
        left.plot(P, soft(LOGITS), label=f"soft k={k:g}")
        right.plot(P, -_gradient(soft, LOGITS), label=f"soft k={k:g}")
    left.set(xlabel="$p$ (positive example)", ylabel="loss", title="loss", ylim=(0, 4))
    right.set(xlabel="$p$ (positive example)", ylabel="$-\\partial\\ell/\\partial x$", title="gradient weight")
    left.legend()


def ghm_weights():
    rng = np.random.default_rng(0)
    # A detector-like batch: many easy negatives, few hard examples.
    logits = np.concatenate([rng.normal(-4, 1.5, 20000), rng.normal(0, 2, 2000), rng.normal(3, 1, 500)])
    targets = np.concatenate([np.zeros(20000), (rng.random(2000) < 0.5), np.ones(500)]).astype(float)
    g = np.abs(1 / (1 + np.exp(-logits)) - targets)
    fig, left, right = _panels()
    _, counts = il.ghm_c_loss(logits, targets, bins=30)
    edges = np.linspace(0, 1, 31)
    left.bar(edges[:-1], counts, width=1 / 30, align="edge", color="C0")
    left.set(yscale="log", xlabel="gradient norm $g=|p-y|$", ylabel="elements", title="gradient density (30 bins)")
    weighted, _ = il.ghm_c_loss(logits, targets, bins=30, reduction="none")
    plain = il.sigmoid_cross_entropy(logits, targets, reduction="none")
    order = np.argsort(g)
    right.plot(g[order], (weighted / plain)[order], "C1")
    right.set(yscale="log", xlabel="gradient norm $g$", ylabel="$\\beta$ (GHM weight)", title="GHM-C weight vs $g$")


def dice_factor():
    fig, left, right = _panels()
    for alpha in (0.0, 0.1, 0.5, 1.0):
        left.plot(P, (1 - P) ** alpha * P, label=f"α={alpha:g}")
    left.set(xlabel="$p$", ylabel="$q=(1-p)^\\alpha p$", title="self-adjusting factor")
    left.legend()
    logits, targets = LOGITS, np.ones_like(LOGITS)
    for alpha in (0.0, 0.1, 0.5, 1.0):
        def loss(x, alpha=alpha):
            return il.dice_loss(x, targets, alpha=alpha, per_sample=True, reduction="none")
        right.plot(P, -_gradient(loss, logits), label=f"α={alpha:g}")
    right.set(xlabel="$p$ (positive example)", ylabel="$-\\partial\\ell/\\partial x$", title="per-example Dice gradient")


def logit_adjustment():
    prior = np.array([0.95, 0.05])
    x = np.linspace(-4, 6, 500)
    # A model that learned the training posterior of two unit Gaussians at 0 and 2.
    log_lik = np.stack([-(x - 0.0) ** 2 / 2, -(x - 2.0) ** 2 / 2], axis=1)
    logits = log_lik + np.log(prior)
    fig, left, right = _panels()
    for tau, style in ((0.0, ":"), (0.5, "--"), (1.0, "-")):
        adjusted = il.adjust_logits(logits, prior, tau=tau)
        p_rare = np.exp(adjusted[:, 1] - np.logaddexp(adjusted[:, 0], adjusted[:, 1]))
        boundary = x[np.argmax(p_rare > 0.5)]
        left.plot(x, p_rare, style, label=f"τ={tau:g}: boundary x={boundary:.2f}")
    left.axhline(0.5, color="0.7", lw=0.8)
    left.set(xlabel="feature x", ylabel="P(rare | x)", title="post-hoc adjustment moves the boundary")
    left.legend(fontsize=7)
    for tau in (0.0, 0.5, 1.0, 2.0):
        loss = il.logit_adjusted_cross_entropy(np.stack([np.zeros_like(x), x], 1), np.ones(x.size, int), prior,
                                               tau=tau, reduction="none")
        right.plot(x, loss, label=f"τ={tau:g}")
    right.set(xlabel="margin $x_{rare}-x_{frequent}$", ylabel="loss of a rare example", title="training: a larger margin for rare classes")
    right.legend()


def long_tail_margins():
    """LDAM margins and VS scales per class for a long-tailed count profile."""
    counts = 1000.0 * 0.6 ** np.arange(10)  # 1000 down to 10: imbalance ratio 100
    fig, left, right = _panels()
    classes = np.arange(10)
    margins = 0.5 * (counts.min() / counts) ** 0.25
    left.bar(classes, margins, color="C0")
    left.set(xlabel="class (frequent → rare)", ylabel="margin $m_c$", title="LDAM margin (max 0.5)")
    for gamma in (0.1, 0.3, 0.5):
        right.plot(classes, (counts / counts.max()) ** gamma, "o-", label=f"VS Δ, γ={gamma:g}")
    right.plot(classes, np.log(counts / counts.sum()) - np.log(counts / counts.sum()).max() + 1, "k:",
               label="LA ι (shifted)")
    right.set(xlabel="class (frequent → rare)", ylabel="per-class factor", title="VS multiplicative and additive parts")
    right.legend()


def seesaw_factors():
    """Seesaw's two factors for a sample of the most frequent class."""
    fig, left, right = _panels()
    ratio = np.logspace(-3, 0, 200)
    for p in (0.4, 0.8, 1.2):
        left.plot(ratio, ratio ** p, label=f"p={p:g}")
    left.set(xlabel="$N_j / N_y$ (class $j$ rarer than $y$)", ylabel="mitigation $M_{yj}$", xscale="log",
             title="mitigation: a frequent class pushes a rare one less")
    scores = np.linspace(0.0, 1.0, 200)
    for q in (1.0, 2.0, 3.0):
        right.plot(scores, np.maximum(1.0, scores / 0.25) ** q, label=f"q={q:g}")
    right.set(xlabel="$\\sigma_j$ (with $\\sigma_y$ = 0.25)", ylabel="compensation $C_{yj}$", yscale="log",
              title="compensation: a misclassified $j$ is pushed back")
    left.legend()
    right.legend()


def asymmetric_focusing():
    """ASL versus BCE and focal loss: the negative branch with the probability margin."""
    fig, left, right = _panels()
    zeros = np.zeros_like(LOGITS)
    curves = {
        "BCE": lambda x: il.sigmoid_cross_entropy(x, zeros, reduction="none"),
        "focal γ=2": lambda x: il.sigmoid_focal_loss(x, zeros, alpha=None, gamma=2.0, reduction="none"),
        "ASL γ-=4, m=0": lambda x: il.asymmetric_loss(x, zeros, clip=0.0, reduction="none"),
        "ASL γ-=4, m=0.05": lambda x: il.asymmetric_loss(x, zeros, reduction="none"),
        "Poly-1 BCE ε=1": lambda x: il.poly1_sigmoid_cross_entropy(x, zeros, reduction="none"),
    }
    _loss_and_gradient(left, right, curves)
    left.set(xlabel="$p$ (negative example)", ylabel="loss", title="loss of a negative", ylim=(0, 4))
    right.set(xlabel="$p$ (negative example)", ylabel="$\\partial\\ell/\\partial x$", title="gradient", yscale="log",
              ylim=(1e-6, 2))
    left.legend()


def focal_tversky():
    """Loss and gradient of one set against its Tversky index: the focal exponent 1/γ."""
    fig, left, right = _panels()
    index = np.linspace(0.01, 0.99, 400)
    for gamma in (1.0, 4 / 3, 2.0, 3.0):
        label = "Tversky (γ=1)" if gamma == 1 else f"focal γ={gamma:.3g}"
        left.plot(index, (1 - index) ** (1 / gamma), label=label)
        right.plot(index, (1 - index) ** (1 / gamma - 1) / gamma, label=label)
    left.set(xlabel="Tversky index TI", ylabel="$(1-TI)^{1/\\gamma}$", title="set loss")
    right.set(xlabel="Tversky index TI", ylabel="$-\\partial\\ell/\\partial TI$", title="gradient weight", ylim=(0, 5))
    left.legend()


def tversky_tradeoff():
    """One lesion of 10 pixels: missing k of them vs k false alarms, by alpha/beta."""
    fig, left, right = _panels()
    targets = np.r_[np.ones(10), np.zeros(90)]
    ks = np.arange(0, 11)
    for alpha, beta in ((0.5, 0.5), (0.3, 0.7), (0.1, 0.9)):
        misses, alarms = [], []
        for k in ks:
            missed = np.where(np.arange(100) < k, -1e3, np.where(targets == 1, 1e3, -1e3))
            alarmed = np.where((np.arange(100) >= 10) & (np.arange(100) < 10 + k), 1e3, np.where(targets == 1, 1e3, -1e3))
            misses.append(il.tversky_loss(missed, targets, alpha=alpha, beta=beta, smooth=0.0))
            alarms.append(il.tversky_loss(alarmed, targets, alpha=alpha, beta=beta, smooth=0.0))
        left.plot(ks, misses, marker="o", label=f"α={alpha:g}, β={beta:g}")
        right.plot(ks, alarms, marker="o", label=f"α={alpha:g}, β={beta:g}")
    left.set(xlabel="lesion pixels missed (of 10)", ylabel="Tversky loss", title="false negatives", ylim=(0, 1))
    right.set(xlabel="false-alarm pixels", ylabel="Tversky loss", title="false positives", ylim=(0, 1))
    left.legend()


def lovasz_vs_jaccard():
    """The Lovász hinge interpolates the Jaccard loss: equal at ±1 margins, linear between."""
    fig, left, right = _panels()
    targets = np.r_[np.ones(5), np.zeros(15)]
    scale = np.linspace(-2.0, 2.0, 401)
    base = np.where(targets == 1, 1.0, -1.0)
    wrong = np.zeros(20, bool)
    wrong[[0, 1, 5, 6, 7]] = True
    values = [il.lovasz_hinge_loss(np.where(wrong, s * base, base), targets, per_image=False) for s in scale]
    left.plot(scale, values, label="Lovász hinge")
    # At margin -1: 3 of the 5 positives found, 3 false positives: IoU = 3 / (5 + 3).
    left.plot([-1.0], [2 * (1 - 3 / 8)], "o", label="2 (1 − IoU) of the hard prediction")
    left.set(xlabel="margin of 5 pixels (−1: wrong)", ylabel="loss", title="pooled Lovász hinge")
    left.legend()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    for temperature in (0.5, 1.0, 2.0):
        scores = []
        for noise in np.linspace(0, 3, 13):
            logits = np.eye(3)[labels] * 3 / temperature + rng.normal(scale=noise, size=(400, 3))
            predicted = logits.argmax(1)
            iou = np.mean([np.sum((labels == c) & (predicted == c)) / np.sum((labels == c) | (predicted == c))
                           for c in range(3)])
            scores.append((1 - iou, il.lovasz_softmax_loss(logits, labels)))
        scores = np.array(scores)
        right.plot(scores[:, 0], scores[:, 1], marker=".", label=f"temperature {temperature:g}")
    right.plot([0, 1], [0, 1], "k:", label="equality")
    right.set(xlabel="1 − mIoU of the argmax", ylabel="Lovász-softmax", title="surrogate vs metric")
    right.legend()


def detection_quality():
    """Varifocal and quality focal loss of a positive with IoU target 0.8 and of a negative,
    against BCE: the loss and its gradient over the predicted probability."""
    fig, left, right = _panels()
    positive, negative = np.full_like(LOGITS, 0.8), np.zeros_like(LOGITS)
    curves = {
        "BCE, q=0.8": lambda x: il.sigmoid_cross_entropy(x, positive, reduction="none"),
        "VFL, q=0.8": lambda x: il.varifocal_loss(x, positive, reduction="none"),
        "QFL, q=0.8": lambda x: il.quality_focal_loss(x, positive, reduction="none"),
        "VFL, negative": lambda x: il.varifocal_loss(x, negative, reduction="none"),
        "QFL, negative": lambda x: il.quality_focal_loss(x, negative, reduction="none"),
    }
    _loss_and_gradient(left, right, curves)
    left.set(xlabel="$p = \\sigma(x)$", ylabel="loss", title="loss", ylim=(0, 3))
    right.set(xlabel="$p = \\sigma(x)$", ylabel="$\\partial\\ell/\\partial x$", title="gradient", ylim=(-1, 1))
    left.legend(fontsize="small")


def auc_margin():
    """AUC-margin's per-sample term for a positive and a negative over its score, at the
    saddle point for mean scores 0.6 and 0.4 (a, b the means, alpha = m - (a - b) = 0.8)."""
    fig, left, right = _panels()
    scores = np.linspace(0.0, 1.0, 401)
    options = {"a": 0.6, "b": 0.4, "alpha": 0.8, "positive_rate": 0.1, "reduction": "none"}
    for label, target in (("positive", 1.0), ("negative", 0.0)):
        targets = np.full_like(scores, target)

        def loss(s, targets=targets):
            return il.auc_margin_loss(s, targets, **options)
        left.plot(scores, loss(scores), label=label)
        right.plot(scores, _gradient(loss, scores), label=label)
    left.set(xlabel="score $s$", ylabel="$F$", title="per-sample term (p = 0.1)")
    right.set(xlabel="score $s$", ylabel="$\\partial F/\\partial s$", title="gradient")
    left.legend()


def unified_focal():
    """The asymmetric unified focal loss's two parts: the focal term of a background and of a
    foreground pixel over its probability, and the focal Tversky exponent of each kind of set."""
    fig, left, right = _panels()
    delta, gamma = 0.6, 0.5
    logits = np.stack([np.log(P), np.log1p(-P)], axis=-1)  # p is class 0's probability, then class 1's
    for label, alpha, g, flip in (("background, (1−δ)(1−p)^γ CE", [1 - delta, 0.0], gamma, False),
                                  ("foreground, δ CE", [0.0, delta], 0.0, True)):
        x = logits[:, ::-1] if flip else logits
        left.plot(P, il.softmax_focal_loss(x, np.full(len(P), int(flip)), alpha=alpha, gamma=g, reduction="none"),
                  label=label)
    left.plot(P, -np.log(P), "k:", label="CE")
    left.set(xlabel="p of the true class", ylabel="loss", title="focal term", ylim=(0, 4))
    error = np.linspace(0.0, 1.0, 400)
    right.plot(error, error, label="background: 1 − TI")
    for g in (0.2, 0.5, 0.8):
        right.plot(error, error ** (1 - g), label=f"foreground: (1 − TI)^{1 - g:.1f}")
    right.set(xlabel="1 − TI of a set", ylabel="loss", title="focal Tversky term")
    left.legend(fontsize="small")
    right.legend(fontsize="small")

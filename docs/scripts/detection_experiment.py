"""IoU-aware scores on synthetic anchors: BCE and focal loss on hard labels against
Varifocal and quality focal loss on IoU targets (docs/losses/detection.md).

A stand-in for a dense detector's classification branch, not a detector: 30 000
anchors, 3 classes, 3% of the anchors positive for one class. A positive's box
quality (its IoU with the ground truth) is uniform in [0.3, 1]; its 12 features carry
its class (a shifted mean) and, through four noisy features, its IoU; negatives are
background noise with a few hard, class-like ones. A detection is an (anchor, class)
score; it is a true positive at IoU threshold τ if the anchor is positive for that
class with an IoU of at least τ (the COCO rule, without boxes). AP is scikit-learn's
average precision of all scores of a class, averaged over the classes; "AP" averages
τ = 0.50, 0.55, ..., 0.95 (COCO's AP), AP50 and AP75 are single thresholds.

Model: an MLP (12-64-64-3, Adam, learning rate 3e-3, 300 full-batch steps) trained with
each loss; BCE and focal loss on the hard labels (1 for a positive at any IoU), VFL and
QFL on the IoU targets; each loss's "mean" (every loss is then on the same scale of
its own). Seeds change the data and the initialisation; the changes are paired.

    python docs/scripts/detection_experiment.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.metrics import average_precision_score

import imbalance_losses as il

N, C, F = 30_000, 3, 12
THRESHOLDS = np.arange(0.5, 0.96, 0.05)


def make_data(rng):
    positive = rng.random(N) < 0.03
    cls = rng.integers(0, C, N)
    iou = np.where(positive, rng.uniform(0.3, 1.0, N), 0.0)
    x = rng.normal(size=(N, F))
    x[np.arange(N), cls] += np.where(positive, 2.0, np.where(rng.random(N) < 0.1, 1.5, 0.0))  # hard negatives
    x[:, C:C + 4] += (iou[:, None] - 0.3) * 3.0 * positive[:, None]  # the quality signal, noisy
    targets = np.zeros((N, C))
    targets[np.arange(N), cls] = iou
    return x.astype(np.float32), targets


def average_precisions(scores, targets):
    per_threshold = []
    for tau in THRESHOLDS:
        per_threshold.append(np.mean([average_precision_score(targets[:, c] >= tau, scores[:, c]) for c in range(C)]))
    per_threshold = np.array(per_threshold)
    return {"AP": per_threshold.mean(), "AP50": per_threshold[0], "AP75": per_threshold[5]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    start = time.time()
    results = {name: [] for name in ("BCE", "focal", "VFL", "QFL")}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        train_x, train_t = make_data(rng)
        test_x, test_t = make_data(rng)
        for name in results:
            scores = train_and_score(train_x, train_t, test_x, name, seed=1000 + seed)
            results[name].append(average_precisions(scores, test_t))
    print(f"{args.seeds} seeds, {time.time() - start:.0f} s; AP on held-out anchors (x100), mean ± std; change against BCE, paired")
    print("| loss | AP | AP50 | AP75 | AP change | AP75 change |")
    print("|---|---|---|---|---|---|")
    base = results["BCE"]
    for name, runs in results.items():
        ap = np.array([[r[k] for k in ("AP", "AP50", "AP75")] for r in runs]) * 100
        delta = ap - np.array([[r[k] for k in ("AP", "AP50", "AP75")] for r in base]) * 100
        print(f"| {name} | {ap[:, 0].mean():.1f} ± {ap[:, 0].std():.1f} | {ap[:, 1].mean():.1f} | {ap[:, 2].mean():.1f} "
              f"| {delta[:, 0].mean():+.1f} ± {delta[:, 0].std():.1f} | {delta[:, 2].mean():+.1f} ± {delta[:, 2].std():.1f} |")


def train_and_score(train_x, train_t, test_x, name, *, seed):
    """The MLP trained on ``train_x`` with loss ``name``; its logits on ``test_x``."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(F, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, C))
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    inputs = torch.tensor(train_x)
    iou = torch.tensor(train_t, dtype=torch.float32)
    hard = (iou > 0).float()
    loss = {"BCE": lambda z: il.sigmoid_cross_entropy(z, hard), "focal": lambda z: il.sigmoid_focal_loss(z, hard),
            "VFL": lambda z: il.varifocal_loss(z, iou), "QFL": lambda z: il.quality_focal_loss(z, iou)}[name]
    for _ in range(300):
        optimiser.zero_grad()
        loss(model(inputs)).backward()
        optimiser.step()
    with torch.no_grad():
        return model(torch.tensor(test_x)).numpy()


if __name__ == "__main__":
    main()

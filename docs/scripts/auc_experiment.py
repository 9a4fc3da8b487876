"""AUC-margin loss against cross-entropy on a long-tailed binary problem (docs/losses/auc.md).

Synthetic, not a benchmark: 20 000 training samples, 1% positive, 16 features. The
positives come from three sub-populations of different sizes (60%, 30%, 10% of them),
each shifted along its own two features; negatives are standard normal with 5% of
them shifted half-way towards a random sub-population (hard negatives). Test: 100 000
samples of the same distribution. Model: an MLP (16-64-64-1), Adam, learning rate 1e-3,
mini-batches of 500 (about 5 positives each, the prior taken from each batch), 40
epochs. Three trainings per seed:

- BCE: ``sigmoid_cross_entropy`` on the logits;
- AUCM: ``imbalance_losses.torch.AUCMarginLoss`` on sigmoid scores (margin 1, as
  LibAUC), its a, b and alpha trained by the same Adam (alpha ascended by the class);
- BCE, then AUCM: 20 epochs of BCE, then 20 of AUCM (LibAUC's advice: pre-train,
  then fine-tune with the AUC loss).

Reported: test AUROC and average precision (scikit-learn), mean ± std over seeds, and
the change against BCE, paired by seed (a seed fixes the data and the initialisation).

    python docs/scripts/auc_experiment.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

import imbalance_losses as il
from imbalance_losses.torch import AUCMarginLoss

FEATURES, POSITIVE_RATE, EPOCHS, BATCH = 16, 0.01, 40, 500
GROUPS = np.array([0.6, 0.3, 0.1])  # the positives' sub-populations


def make_data(rng, n):
    positive = rng.random(n) < POSITIVE_RATE
    x = rng.normal(size=(n, FEATURES))
    group = rng.choice(len(GROUPS), n, p=GROUPS)
    hard = ~positive & (rng.random(n) < 0.05)
    shift = np.where(positive, 1.6, np.where(hard, 0.8, 0.0))
    for g in range(len(GROUPS)):
        x[:, 2 * g:2 * g + 2] += (shift * (group == g))[:, None]
    return x.astype(np.float32), positive.astype(np.float32)


def train(train_x, train_y, method, *, seed):
    """The MLP's test-time scorer after training with ``method``."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(FEATURES, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                torch.nn.ReLU(), torch.nn.Linear(64, 1))
    auc_loss = AUCMarginLoss(margin=1.0)
    optimiser = torch.optim.Adam([*model.parameters(), *auc_loss.parameters()], lr=1e-3)
    x, y = torch.tensor(train_x), torch.tensor(train_y)[:, None]
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(EPOCHS):
        use_auc = method == "AUCM" or (method == "BCE, then AUCM" and epoch >= EPOCHS // 2)
        for batch in torch.randperm(len(x), generator=generator).split(BATCH):
            logits = model(x[batch])
            loss = auc_loss(torch.sigmoid(logits), y[batch]) if use_auc else il.sigmoid_cross_entropy(logits, y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args(argv)
    start = time.time()
    methods = ("BCE", "AUCM", "BCE, then AUCM")
    results = {name: [] for name in methods}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        train_x, train_y = make_data(rng, 20_000)
        test_x, test_y = make_data(rng, 100_000)
        for name in methods:
            model = train(train_x, train_y, name, seed=1000 + seed)
            with torch.no_grad():
                scores = model(torch.tensor(test_x)).numpy().ravel()
            results[name].append((roc_auc_score(test_y, scores), average_precision_score(test_y, scores)))
    print(f"{args.seeds} seeds, {time.time() - start:.0f} s; test AUROC and AP (x100), mean ± std; "
          "change against BCE, paired by seed")
    print("| training | AUROC | AP | AUROC change | AP change |")
    print("|---|---|---|---|---|")
    base = np.array(results["BCE"]) * 100
    for name in methods:
        runs = np.array(results[name]) * 100
        delta = runs - base
        print(f"| {name} | {runs[:, 0].mean():.1f} ± {runs[:, 0].std():.1f} | {runs[:, 1].mean():.1f} ± "
              f"{runs[:, 1].std():.1f} | {delta[:, 0].mean():+.1f} ± {delta[:, 0].std():.1f} | "
              f"{delta[:, 1].mean():+.1f} ± {delta[:, 1].std():.1f} |")


if __name__ == "__main__":
    main()

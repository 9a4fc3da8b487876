"""Print the docs table: per-replica batch statistics vs global ones (docs/distributed.md).

Simulates k data-parallel replicas in one process: each replica sees a contiguous
shard of an imbalanced batch. Without ``replica_sum`` each replica computes GHM's
histogram and Dice's sums from its shard; DDP then averages the replicas'
gradients. The table reports the averaged loss and the relative L2 error of the
resulting gradient with respect to the single-process (global) one.
"""

import numpy as np
import torch

import imbalance_losses as il


def batch(seed=0, n=512, c=4, positive_rate=0.05):
    rng = np.random.default_rng(seed)
    logits = torch.tensor(rng.normal(size=(n, c)) * 2, dtype=torch.float64)
    targets = (rng.random((n, c)) < positive_rate).astype(np.float64)
    targets[: n // 4] = (rng.random((n // 4, c)) < 0.3)  # positives concentrated on one replica
    labels = torch.tensor(rng.choice(c, size=n, p=[0.85, 0.1, 0.04, 0.01]))
    return logits, torch.tensor(targets), labels


def compare(name, fn, logits, target, k):
    x = logits.clone().requires_grad_(True)
    value = fn(x, target)
    (grad,) = torch.autograd.grad(value, x)
    shard_values, shard_grads = [], []
    for rows in np.array_split(np.arange(len(logits)), k):
        xs = logits[rows].clone().requires_grad_(True)
        v = fn(xs, target[rows])
        shard_values.append(v.item())
        shard_grads.append(torch.autograd.grad(v, xs)[0] / k)  # DDP averages over replicas
    local = torch.cat(shard_grads)
    error = (torch.linalg.norm(local - grad) / torch.linalg.norm(grad)).item()
    return f"| {name} | {k} | {value.item():.4f} | {np.mean(shard_values):.4f} | {error:.1%} |"


def main():
    logits, targets, labels = batch()
    rows = ["| loss | replicas | global loss | mean of per-replica losses | gradient error without `replica_sum` |",
            "|---|---|---|---|---|"]
    cases = [
        ("`ghm_c_loss` (bins=10)", lambda x, t: il.ghm_c_loss(x, t)[0], targets),
        ("`dice_loss` (pooled)", lambda x, t: il.dice_loss(x, t), targets),
        ("`softmax_dice_loss` (pooled)", lambda x, t: il.softmax_dice_loss(x, t), labels),
        ("`softmax_cross_entropy` (class weights)",
         lambda x, t: il.softmax_cross_entropy(x, t, class_weights=[0.3, 1.0, 3.0, 10.0]), labels),
    ]
    for name, fn, target in cases:
        for k in (2, 8):
            rows.append(compare(name, fn, logits, target, k))
    print("\n".join(rows))


if __name__ == "__main__":
    main()

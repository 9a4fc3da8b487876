"""The measured example of the segmentation section of docs/choosing.md (run from the
repository root: ``python docs/scripts/segmentation_example.py``; about a minute on
2 CPU cores).

Synthetic 32 x 32 images with three classes: background, a large "organ" disc (about
12% of the pixels) and a small "lesion" blob inside it (about 0.6%), both visible only
through noisy intensities. A small convolutional network is trained with each loss
(same seeds, steps and optimiser) and evaluated by the per-class Dice of its argmax
on held-out images, over several seeds. A second table trains the lesion alone as a
binary mask (one sigmoid channel), where MCC can be compared with Dice.
"""

import numpy as np
import torch

import imbalance_losses as il

SIZE, CLASSES, STEPS, BATCH = 32, 3, 300, 16
SEEDS = (0, 1, 2)


def images(rng, n):
    yy, xx = np.mgrid[:SIZE, :SIZE]
    labels = np.zeros((n, SIZE, SIZE), dtype=np.int64)
    for i in range(n):
        cy, cx = rng.uniform(10, 22, 2)
        labels[i][(yy - cy) ** 2 + (xx - cx) ** 2 < rng.uniform(5, 7) ** 2] = 1
        ly, lx = cy + rng.uniform(-3, 3), cx + rng.uniform(-3, 3)
        labels[i][(yy - ly) ** 2 + (xx - lx) ** 2 < rng.uniform(1.0, 1.8) ** 2] = 2
    means = np.array([0.0, 1.0, 1.6])
    pixels = means[labels] + rng.normal(scale=0.8, size=labels.shape)
    return torch.tensor(pixels[:, None], dtype=torch.float32), torch.tensor(labels)


def network(outputs=CLASSES):
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(16, outputs, 1),
    )


LOSSES = {
    "cross-entropy": lambda x, y: il.softmax_cross_entropy(x, y, axis=1),
    "Dice + CE (per image)": lambda x, y: il.softmax_dice_cross_entropy_loss(x, y, axis=1, per_image=True),
    "Dice + CE (pooled)": lambda x, y: il.softmax_dice_cross_entropy_loss(x, y, axis=1),
    "focal Tversky (β=0.7) + CE": lambda x, y: il.softmax_focal_tversky_loss(x, y, axis=1, alpha=0.3, beta=0.7)
    + il.softmax_cross_entropy(x, y, axis=1),
    "generalized Dice": lambda x, y: il.generalized_dice_loss(x, y, axis=1),
    "Lovász-softmax + CE": lambda x, y: il.lovasz_softmax_loss(x, y, axis=1, per_image=True)
    + il.softmax_cross_entropy(x, y, axis=1),
    "asymmetric unified focal": lambda x, y: il.asymmetric_unified_focal_loss(x, y, axis=1),
}


# The lesion alone as a binary mask (one sigmoid channel): MCC counts the true negatives too.
BINARY_LOSSES = {
    "BCE": lambda x, y: il.sigmoid_cross_entropy(x, y),
    "Dice + BCE (per image)": lambda x, y: il.dice_cross_entropy_loss(x, y, per_image=True),
    "MCC + BCE (per image)": lambda x, y: il.mcc_loss(x, y, per_image=True) + il.sigmoid_cross_entropy(x, y),
    "MCC (per image)": lambda x, y: il.mcc_loss(x, y, per_image=True),
}


def per_class_dice(predicted, labels):
    return np.array([2 * np.sum((predicted == c) & (labels == c))
                     / max(np.sum(predicted == c) + np.sum(labels == c), 1) for c in range(CLASSES)])


def run(loss, seed, binary=False):
    """Per-class Dice of the argmax on held-out images (binary: of the lesion mask, logit > 0)."""
    rng = np.random.default_rng(seed)
    train_x, train_y = images(rng, 256)
    test_x, test_y = images(np.random.default_rng(1000 + seed), 128)
    if binary:
        train_y, test_y = ((y == 2).float()[:, None] for y in (train_y, test_y))
    torch.manual_seed(seed)
    model = network(1 if binary else CLASSES)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(STEPS):
        batch = torch.as_tensor(rng.integers(0, len(train_x), BATCH))
        optimizer.zero_grad()
        loss(model(train_x[batch]), train_y[batch]).backward()
        optimizer.step()
    with torch.no_grad():
        predicted = (model(test_x) > 0).long().numpy() if binary else model(test_x).argmax(1).numpy()
    return per_class_dice(predicted, test_y.long().numpy())


def main():
    torch.set_num_threads(2)
    print("| loss | lesion Dice (0.6% of pixels) | organ Dice | mean foreground Dice |")
    print("|---|---|---|---|")
    for name, loss in LOSSES.items():
        scores = np.array([run(loss, seed) for seed in SEEDS])
        lesion, organ = scores[:, 2], scores[:, 1]
        foreground = scores[:, 1:].mean(axis=1)
        print(f"| {name} | {lesion.mean():.3f} ± {lesion.std():.3f} | {organ.mean():.3f} ± {organ.std():.3f} "
              f"| {foreground.mean():.3f} |")
    print("\n| loss (binary lesion mask) | lesion Dice |")
    print("|---|---|")
    for name, loss in BINARY_LOSSES.items():
        lesion = np.array([run(loss, seed, binary=True)[1] for seed in SEEDS])
        print(f"| {name} | {lesion.mean():.3f} ± {lesion.std():.3f} |")


if __name__ == "__main__":
    main()

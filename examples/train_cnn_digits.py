"""Train a small CNN (conv, batch norm, max pooling, dropout) on scikit-learn's digits with
ember, compare every step's loss with torch after the same seed, print the test accuracy and
save the loss curve.

Training: Adam, 400 steps of 64 images (about 18 epochs over a shuffled 80% of the data),
the learning rate annealed from 0.005 to zero along a cosine; the other 20% is the test set.
The learning rate is kept this gentle so that the step-by-step comparison means something:
at 0.01 this training is chaotic, and nudging torch's own initial weights by one ulp moves
its later losses by percents.

    python examples/train_cnn_digits.py [--steps 400] [--no-torch] [--out cnn_loss.png]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import ember
from _digits_common import accuracy, compare, load_digits, plot, split, train


LR = 5e-3


def make_model(nn):
    # The first convolution has no bias: the batch norm after it would cancel one.
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    parser.add_argument("--out", default="cnn_loss.png")
    args = parser.parse_args()
    x, y = load_digits()
    x_train, y_train, x_test, y_test = split(x, y)
    print(f"digits: {len(x)} images, training on {len(x_train)}, testing on {len(x_test)}")
    print(make_model(ember.nn))
    losses, model = train(ember, make_model, x_train, y_train, args.steps, lr=LR,
                          cosine=True)
    acc = accuracy(ember, model, x_test, y_test)
    print(f"ember: final loss {losses[-1]:.4f}")
    curves = {"ember": losses}
    if not args.no_torch:
        import torch

        t_losses, t_model = train(torch, make_model, x_train, y_train, args.steps, lr=LR,
                                  cosine=True, show=False)
        diff = compare(losses, t_losses)
        print(f"torch: final loss {t_losses[-1]:.4f}, test accuracy "
              f"{accuracy(torch, t_model, x_test, y_test):.3f}; largest relative difference "
              f"per step {diff:.2e}")
        curves["torch"] = t_losses
        if diff > 1e-3:
            raise SystemExit("ember and torch diverged")
    plot(curves, args.out, "CNN on digits (Adam, cosine schedule)")
    print(f"saved {args.out}")
    print(f"final test accuracy: {acc:.3f}")


if __name__ == "__main__":
    main()

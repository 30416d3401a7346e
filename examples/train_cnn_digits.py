"""Train a small CNN (conv, batch norm, max pooling, dropout) on scikit-learn's digits with
ember, save the loss curve and print the test accuracy; with --compare-torch, compare every
step's loss with torch after the same seed (within a tolerance measured from torch's own
rounding sensitivity, see `_digits_common.tolerance`).

Training: Adam, 400 steps of 64 images (about 18 epochs over a shuffled 80% of the data),
the learning rate annealed from 0.005 to zero along a cosine; the other 20% is the test set.
The learning rate is kept this gentle so that the step-by-step comparison means something:
at 0.01 this training is chaotic, and nudging torch's own initial weights by one ulp moves
its later losses by percents.

    pip install -e ".[examples]"     # scikit-learn for the data, matplotlib for the plot
    python examples/train_cnn_digits.py [--steps 400] [--compare-torch] [--out cnn_loss.png]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import ember
from _digits_common import accuracy, compare_with_torch, load_digits, plot, split, train


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
    parser.add_argument("--compare-torch", action="store_true",
                        help="train with torch too and compare the losses (needs torch)")
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
    title = "CNN on digits (Adam, cosine schedule)"
    plot({"ember": losses}, args.out, title)
    print(f"saved {args.out}")
    print(f"final test accuracy: {acc:.3f}")
    if args.compare_torch:
        t = compare_with_torch(make_model, x_train, y_train, args.steps, losses, lr=LR,
                               cosine=True)
        if t is not None:
            print(f"torch: test accuracy {accuracy(t['lib'], t['model'], x_test, y_test):.3f}")
            plot({"ember": losses, "torch": t["losses"]}, args.out, title)


if __name__ == "__main__":
    main()

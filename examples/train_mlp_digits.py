"""Train a small MLP on scikit-learn's digits with ember (200 Adam steps) and save the loss
curve; with --compare-torch, check that torch gives the same loss at every step after the
same seed (within a tolerance measured from torch's own rounding sensitivity, see
`_digits_common.tolerance`).

    pip install -e ".[examples]"     # scikit-learn for the data, matplotlib for the plot
    python examples/train_mlp_digits.py [--steps 200] [--compare-torch] [--out mlp_loss.png]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import ember
from _digits_common import accuracy, compare_with_torch, load_digits, plot, split, train


def make_model(nn):
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--compare-torch", action="store_true",
                        help="train with torch too and compare the losses (needs torch)")
    parser.add_argument("--out", default="mlp_loss.png")
    args = parser.parse_args()
    x, y = load_digits()
    x_train, y_train, x_test, y_test = split(x, y)
    print(f"digits: {len(x)} images, training on {len(x_train)}, testing on {len(x_test)}")
    losses, model = train(ember, make_model, x_train, y_train, args.steps, lr=1e-2)
    print(f"ember: final loss {losses[-1]:.4f}, test accuracy "
          f"{accuracy(ember, model, x_test, y_test):.3f}")
    plot({"ember": losses}, args.out, "MLP on digits (Adam)")
    print(f"saved {args.out}")
    if args.compare_torch:
        t = compare_with_torch(make_model, x_train, y_train, args.steps, losses, lr=1e-2)
        if t is not None:
            for step in (0, 1, 2, len(losses) // 2, len(losses) - 1):
                print(f"  step {step + 1:4d}: ember {losses[step]:.6f}  "
                      f"torch {t['losses'][step]:.6f}")
            plot({"ember": losses, "torch": t["losses"]}, args.out, "MLP on digits (Adam)")


if __name__ == "__main__":
    main()

"""Train a small CNN (conv, batch norm, max pooling, dropout) on scikit-learn's digits with
ember, compare every step's loss with torch after the same seed, and save the loss curve.

    python examples/train_cnn_digits.py [--steps 150] [--no-torch] [--out cnn_loss.png]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import ember
from _digits_common import accuracy, compare, load_digits, plot, train


def make_model(nn):
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    parser.add_argument("--out", default="cnn_loss.png")
    args = parser.parse_args()
    x, y = load_digits()
    n = len(x) * 4 // 5
    print(model := make_model(ember.nn))
    del model
    losses, model = train(ember, make_model, x[:n], y[:n], args.steps, lr=1e-2)
    print(f"ember: final loss {losses[-1]:.4f}, test accuracy "
          f"{accuracy(ember, model, x[n:], y[n:]):.3f}")
    curves = {"ember": losses}
    if not args.no_torch:
        import torch

        t_losses, _ = train(torch, make_model, x[:n], y[:n], args.steps, lr=1e-2, show=False)
        diff = compare(losses, t_losses)
        print(f"torch: final loss {t_losses[-1]:.4f}; largest relative difference per step "
              f"{diff:.2e}")
        curves["torch"] = t_losses
        if diff > 1e-3:
            raise SystemExit("ember and torch diverged")
    plot(curves, args.out, "CNN on digits (Adam)")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()

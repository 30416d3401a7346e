"""Train a small MLP on scikit-learn's digits with ember (200 Adam steps), check that torch
gives the same loss at every step after the same seed, and save the loss curve.

    python examples/train_mlp_digits.py [--steps 200] [--no-torch] [--out mlp_loss.png]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import ember
from _digits_common import accuracy, compare, load_digits, plot, split, train


def make_model(nn):
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    parser.add_argument("--out", default="mlp_loss.png")
    args = parser.parse_args()
    x, y = load_digits()
    x_train, y_train, x_test, y_test = split(x, y)
    print(f"digits: {len(x)} images, training on {len(x_train)}, testing on {len(x_test)}")
    losses, model = train(ember, make_model, x_train, y_train, args.steps, lr=1e-2)
    print(f"ember: final loss {losses[-1]:.4f}, test accuracy "
          f"{accuracy(ember, model, x_test, y_test):.3f}")
    curves = {"ember": losses}
    if not args.no_torch:
        import torch

        t_losses, _ = train(torch, make_model, x_train, y_train, args.steps, lr=1e-2,
                            show=False)
        diff = compare(losses, t_losses)
        print(f"torch: final loss {t_losses[-1]:.4f}; largest relative difference per step "
              f"{diff:.2e}")
        for step in (0, 1, 2, len(losses) // 2, len(losses) - 1):
            print(f"  step {step + 1:4d}: ember {losses[step]:.6f}  torch {t_losses[step]:.6f}")
        curves["torch"] = t_losses
        if diff > 1e-4:
            raise SystemExit("ember and torch diverged")
    plot(curves, args.out, "MLP on digits (Adam)")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()

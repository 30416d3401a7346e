"""Shared pieces of the digits examples: data, a training loop written once for `import ember
as torch` or real torch, a text progress bar and the loss plot."""

from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np


def load_digits() -> tuple:
    """scikit-learn's bundled 8x8 digits: features scaled to [0, 1], labels 0-9."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)


def split(x: np.ndarray, y: np.ndarray, test_share: float = 0.2, seed: int = 0) -> tuple:
    """A shuffled train/test split (the file lists the writers in order, so its last rows
    come from writers the first rows never saw): (x_train, y_train, x_test, y_test)."""
    order = np.random.default_rng(seed).permutation(len(x))
    n = len(x) - int(len(x) * test_share)
    train, test = order[:n], order[n:]
    return x[train], y[train], x[test], y[test]


def progress(step: int, total: int, loss: float, width: int = 30) -> None:
    """A one-line progress bar, redrawn in place."""
    done = int(width * step / total)
    sys.stdout.write(f"\r[{'#' * done}{'.' * (width - done)}] {step}/{total} loss {loss:.4f}")
    if step == total:
        sys.stdout.write("\n")
    sys.stdout.flush()


def train(lib: Any, make_model: Callable, x: np.ndarray, y: np.ndarray, steps: int,
          seed: int = 0, batch_size: int = 64, lr: float = 1e-3, cosine: bool = False,
          show: bool = True, nudge: bool = False) -> tuple:
    """Trains with Adam on shuffled mini-batches, the learning rate optionally annealed to
    zero along a cosine over the steps; returns the per-step losses and the model. With
    `nudge`, every weight moves by about one float32 rounding step (ulp) after each step
    (see `tolerance`)."""
    lib.manual_seed(seed)
    rng = np.random.default_rng(seed)  # NumPy's own, so that lib's random numbers stay put
    model = make_model(lib.nn)
    opt = lib.optim.Adam(model.parameters(), lr=lr)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if cosine else None
    data = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    loader = lib.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)
    losses: list = []
    while len(losses) < steps:
        for xb, yb in loader:
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            if nudge:
                for p in model.parameters():
                    _nudge(p.detach().numpy(), rng)
            if sched is not None:
                sched.step()
            losses.append(loss.item())
            if show and (len(losses) % 10 == 0 or len(losses) == steps):
                progress(len(losses), steps, losses[-1])
            if len(losses) == steps:
                break
    return np.array(losses), model


def _nudge(w: np.ndarray, rng: Any) -> None:
    # Each weight one ulp up or down, at random: the size of a rounding difference.
    toward = np.where(rng.random(w.shape) < 0.5, -np.inf, np.inf).astype(w.dtype)
    w[...] = np.nextafter(w, toward)


def accuracy(lib: Any, model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """The share of correctly classified samples, in evaluation mode."""
    model.eval()
    with lib.no_grad():
        pred = model(lib.from_numpy(x)).argmax(1).numpy()
    model.train()
    return float((pred == y).mean())


def plot(losses: dict, path: str, title: str) -> None:
    """Saves the loss curves to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in losses.items():
        ax.plot(values, label=name, alpha=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def compare(e: np.ndarray, t: np.ndarray) -> float:
    """The largest relative difference between two loss curves."""
    return float(np.max(np.abs(e - t) / np.abs(t)))


def tolerance(torch: Any, make_model: Callable, x: np.ndarray, y: np.ndarray, steps: int,
              t_losses: np.ndarray, **kw: Any) -> float:
    """How far ember's loss curve may lie from torch's when both compute the same float32
    training.

    ember (NumPy's BLAS, OpenBLAS here) and torch (its own kernels, MKL or oneDNN) sum the
    products of every matrix product and convolution in different orders, so each result may
    differ by a few ulps (float32: 2**-23 relative), at every step; training then carries
    such differences forward, growing them by an amount that depends on the model, learning
    rate and number of steps, not on either library. That growth is measured here rather than
    guessed: torch trains a second time with every weight moved by about one ulp after each
    step, a difference of the size that summation order makes, and the tolerance is twice the
    largest relative difference that this causes in torch's own loss curve (twice: ember's
    rounding differs from torch's at least as much as torch's own nudged run does, in
    directions of its own), and no less than a few hundred ulps."""
    nudged, _ = train(torch, make_model, x, y, steps, show=False, nudge=True, **kw)
    return max(2 * compare(nudged, t_losses), 256 * 2.0 ** -23)


def compare_with_torch(make_model: Callable, x: np.ndarray, y: np.ndarray, steps: int,
                       losses: np.ndarray, **kw: Any) -> dict | None:
    """Trains the same model with torch after the same seed and checks that ember's loss
    curve agrees within `tolerance`; returns torch's curve (and model), or None when torch
    is not installed."""
    try:
        import torch
    except ImportError:
        print("torch is not installed: no comparison (pip install torch==2.13.0)")
        return None
    t_losses, t_model = train(torch, make_model, x, y, steps, show=False, **kw)
    diff = compare(losses, t_losses)
    tol = tolerance(torch, make_model, x, y, steps, t_losses, **kw)
    print(f"torch: final loss {t_losses[-1]:.4f}; largest relative difference per step "
          f"{diff:.2e} (tolerance {tol:.2e}, from torch's own one-ulp nudged run)")
    if diff > tol:
        raise SystemExit("ember and torch diverged")
    return {"losses": t_losses, "model": t_model, "lib": torch}

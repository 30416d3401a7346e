"""The same work written by hand in plain NumPy, with manual backprop: the floor that any
NumPy-based engine is measured against."""

from __future__ import annotations

from typing import Callable

import numpy as np


def w1_chain(n: int = 2000, size: int = 16) -> Callable[[], None]:
    """W1 by hand: forward keeps what each op's derivative needs, backward walks it back."""
    def run() -> None:
        y = np.full(size, 0.5, np.float32)
        w = np.full(size, 0.9, np.float32)
        tape = []
        for i in range(n):
            k = i % 6
            if k == 0:
                tape.append((0, w))
                y = y * w
            elif k == 1:
                tape.append((1, None))
                y = y + w
            elif k == 2:
                tape.append((2, y))
                y = np.sin(y)
            elif k == 3:
                y = np.exp(y)
                tape.append((3, y))
            elif k == 4:
                y = np.tanh(y)
                tape.append((4, y))
            else:
                tape.append((5, y))
                y = y * y
        g = np.ones_like(y)
        for k, v in reversed(tape):
            if k == 0:
                g = g * v
            elif k == 2:
                g = g * np.cos(v)
            elif k == 3:
                g = g * v
            elif k == 4:
                g = g * (1 - v * v)
            elif k == 5:
                g = g * (2 * v)

    return run


def _log_softmax(z: np.ndarray) -> np.ndarray:
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def _ce_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cross-entropy (mean over the batch) of logits z: the loss and d loss / d z."""
    logp = _log_softmax(z)
    n = len(y)
    loss = -logp[np.arange(n), y].mean()
    dz = np.exp(logp)
    dz[np.arange(n), y] -= 1
    dz *= z.dtype.type(1 / n)
    return loss, dz


def w3_mlp(steps: int = 200, batch: int = 128) -> Callable[[], None]:
    """W3 by hand: three affine layers with relu, cross-entropy, SGD with momentum 0.9."""
    from workloads import w3_batches, w3_init

    data = w3_batches(steps, batch)
    init = w3_init()
    lr, mom = np.float32(0.05), np.float32(0.9)

    def run() -> None:
        params = [a.copy() for wb in init for a in wb]
        bufs: list = [None] * len(params)
        w1, b1, w2, b2, w3, b3 = params
        for x, y in data:
            h1 = x @ w1.T
            h1 += b1
            a1 = np.maximum(h1, 0)
            h2 = a1 @ w2.T
            h2 += b2
            a2 = np.maximum(h2, 0)
            z = a2 @ w3.T
            z += b3
            _, dz = _ce_grad(z, y)
            da2 = dz @ w3
            da2 *= h2 > 0
            da1 = da2 @ w2
            da1 *= h1 > 0
            grads = [da1.T @ x, da1.sum(0), da2.T @ a1, da2.sum(0), dz.T @ a2, dz.sum(0)]
            for i, (p, g) in enumerate(zip(params, grads)):
                if bufs[i] is None:
                    bufs[i] = g.copy()
                else:
                    bufs[i] *= mom
                    bufs[i] += g
                p -= lr * bufs[i]

    return run


def w7_cnn(iters: int = 20, batch: int = 64) -> Callable[[], None]:
    """W7 by hand: im2col through a sliding window view and one batched matrix product,
    relu, 2x2 max-pooling as the maximum of four strided slices, a linear layer and
    cross-entropy; the parameters' gradients (the input needs none)."""
    from workloads import w7_data

    x, y, (cw, cb, lw, lb) = w7_data(batch)
    n = len(x)
    wk = cw.reshape(8, 9)
    offsets = [(i, j) for i in range(2) for j in range(2)]

    def run() -> None:
        for _ in range(iters):
            win = np.lib.stride_tricks.sliding_window_view(x[:, 0], (3, 3), axis=(1, 2))
            cols = np.ascontiguousarray(win.transpose(0, 3, 4, 1, 2)).reshape(n, 9, 676)
            c = np.matmul(wk, cols)
            c += cb[:, None]
            r = np.maximum(c, 0).reshape(n, 8, 26, 26)
            blocks = [r[:, :, i::2, j::2] for i, j in offsets]
            p = np.maximum(np.maximum(blocks[0], blocks[1]), np.maximum(blocks[2], blocks[3]))
            hf = p.reshape(n, -1)
            z = hf @ lw.T
            z += lb
            _, dz = _ce_grad(z, y)
            grads = [dz.T @ hf, dz.sum(0)]
            dp = (dz @ lw).reshape(n, 8, 13, 13)
            dr = np.zeros_like(r)
            taken = np.zeros(p.shape, bool)
            for (i, j), blk in zip(offsets, blocks):
                first = (blk == p) & ~taken
                taken |= first
                dr[:, :, i::2, j::2] = dp * first
            dr *= r > 0
            dc = dr.reshape(n, 8, 676)
            grads += [np.matmul(dc, cols.transpose(0, 2, 1)).sum(0), dc.sum((0, 2))]

    return run

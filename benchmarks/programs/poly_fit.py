"""A cubic fitted to sin(x) by gradient descent with hand-written gradients (no autograd)."""

import math


def build(torch):
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)

    def run():
        torch.manual_seed(0)
        a = torch.randn((), dtype=dtype)
        b = torch.randn((), dtype=dtype)
        c = torch.randn((), dtype=dtype)
        d = torch.randn((), dtype=dtype)
        learning_rate = 1e-6
        for t in range(2000):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            if t % 100 == 99:
                loss.item()
            grad_y_pred = 2.0 * (y_pred - y)
            grad_a = grad_y_pred.sum()
            grad_b = (grad_y_pred * x).sum()
            grad_c = (grad_y_pred * x ** 2).sum()
            grad_d = (grad_y_pred * x ** 3).sum()
            a -= learning_rate * grad_a
            b -= learning_rate * grad_b
            c -= learning_rate * grad_c
            d -= learning_rate * grad_d
        return a.item(), b.item(), c.item(), d.item()

    return run

"""Fit y = sin(x) with a ~P3(c + d x) Legendre polynomial whose forward and backward are a
custom autograd Function (the custom-Function program of torch's manual).

Runs unchanged on torch: pass --torch to compare.
"""

import math
import sys

if "--torch" in sys.argv:
    import torch
else:
    import ember as torch


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative written by hand."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 499:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for q in (a, b, c, d):
            q -= learning_rate * q.grad
            q.grad = None
print(f"y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")

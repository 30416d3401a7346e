"""Fit y = sin(x) with a third-order polynomial written as an nn.Linear layer: first with
manual parameter updates, then with an optimizer (the nn and optim programs of torch's
manual).

Runs unchanged on torch: pass --torch to compare.
"""

import math
import sys

if "--torch" in sys.argv:
    import torch
else:
    import ember as torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction="sum")
learning_rate = 1e-6
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 500 == 499:
        print(t, loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
layer = model[0]
print(f"nn:    y = {layer.bias.item()} + {layer.weight[:, 0].item()} x + "
      f"{layer.weight[:, 1].item()} x^2 + {layer.weight[:, 2].item()} x^3")

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(2000):
    loss = loss_fn(model(xx), y)
    if t % 500 == 499:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
layer = model[0]
print(f"optim: y = {layer.bias.item()} + {layer.weight[:, 0].item()} x + "
      f"{layer.weight[:, 1].item()} x^2 + {layer.weight[:, 2].item()} x^3")

# One training step of a tiny MLP: forward, loss, backward, then an SGD update.
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(16, 4)
y = x.sum(dim=1, keepdim=True)

loss = nn.functional.mse_loss(model(x), y)
print(f"loss before the step: {loss.item():.4f}")
optimizer.zero_grad()
loss.backward()
print("gradient of the first layer's bias:")
print(model[0].bias.grad)
optimizer.step()
print(f"loss after the step:  {nn.functional.mse_loss(model(x), y).item():.4f}")

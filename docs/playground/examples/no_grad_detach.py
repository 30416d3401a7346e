# Two ways out of the graph: torch.no_grad() for a block of code, detach() for one tensor.
import torch

w = torch.randn(3, requires_grad=True)
x = torch.tensor([1.0, 2.0, 3.0])

with torch.no_grad():
    scale = (w * 2).sum()  # computed, but not recorded
print(scale.requires_grad, scale.grad_fn)

y = (w * x).sum()
y_det = y.detach()  # the same value without its history
print(y.requires_grad, y_det.requires_grad)

# u's only path to the loss goes through detach(), so u gets no gradient.
u = torch.randn(3, requires_grad=True)
loss = (w * x).sum() * y_det + (u.detach() * x).sum()
loss.backward()
print(w.grad)  # x * y_det: y_det counts as a constant
print(u.grad)  # None: explain() below says why

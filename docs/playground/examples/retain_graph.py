# backward() frees the tensors the graph saved; retain_graph=True keeps them for another call.
import torch

x = torch.tensor([2.0], requires_grad=True)
y = x ** 3
y.backward(retain_graph=True)
print(x.grad)  # dy/dx = 3 * x**2 = 12
y.backward()  # gradients accumulate: 12 + 12
print(x.grad)
try:
    y.backward()  # the call above freed the graph
except RuntimeError as e:
    print("RuntimeError:", str(e).splitlines()[0])

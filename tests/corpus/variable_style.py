"""A program written in the old Variable style: torch.autograd.Variable, legacy constructors
(FloatTensor, LongTensor, ByteTensor), .data everywhere, manual gradient steps with
.grad.data.zero_(), and isinstance checks against the legacy types."""
import torch
from torch.autograd import Variable

torch.manual_seed(42)
dtype = torch.FloatTensor
N, D_in, H, D_out = 16, 8, 12, 3
x = Variable(torch.randn(N, D_in).type(dtype), requires_grad=False)
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)
w1 = Variable(torch.randn(D_in, H).type(dtype), requires_grad=True)
w2 = Variable(torch.randn(H, D_out).type(dtype), requires_grad=True)
print(x.type(), isinstance(x, torch.FloatTensor), isinstance(x.data, torch.FloatTensor))
learning_rate = 1e-3
for t in range(40):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 8 == 0:
        print(t, loss.data.item())
    loss.backward()
    w1.data -= learning_rate * w1.grad.data
    w2.data -= learning_rate * w2.grad.data
    w1.grad.data.zero_()
    w2.grad.data.zero_()
labels = torch.LongTensor([0, 2, 1, 1])
mask = torch.ByteTensor([1, 0, 1, 1])
print(labels.type(), mask.type(), labels[mask.bool()])
buf = torch.FloatTensor(2, 3).zero_()
buf[0, 1] = 5
print(buf)
d = torch.DoubleTensor([1.5, 2.5])
print(d, d.type(torch.IntTensor), isinstance(d, torch.DoubleTensor))
print(w2.data[:2])

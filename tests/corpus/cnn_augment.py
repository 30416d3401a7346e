"""A small CNN trained as image tutorials train one: a Dataset that flips images at random,
Conv2d/BatchNorm2d/MaxPool2d/AdaptiveAvgPool2d, kaiming and xavier init through apply, SGD
with Nesterov momentum and cosine annealing, label smoothing, a confusion matrix built by
indexing, softmax and topk in inference mode, the whole model saved and loaded, and element
writes printed."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(42)
class Shapes(Dataset):
    def __init__(self, n):
        self.x = torch.randn(n, 1, 12, 12)
        self.y = torch.randint(0, 4, (n,))
        for i in range(n):
            k = int(self.y[i])
            self.x[i, 0, k*3:(k+1)*3, :] += 2.0
    def __len__(self): return len(self.y)
    def __getitem__(self, i):
        x = self.x[i]
        if torch.rand(1).item() < 0.5:
            x = torch.flip(x, dims=[2])
        return x, self.y[i]

net = nn.Sequential(
    nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(inplace=True), nn.MaxPool2d(2),
    nn.Conv2d(6, 8, 3), nn.BatchNorm2d(8), nn.LeakyReLU(0.1), nn.AdaptiveAvgPool2d((2, 2)),
    nn.Flatten(), nn.Dropout(0.2), nn.Linear(32, 4))
def init(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        m.bias.data.fill_(0.01)
net.apply(init)
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
ds = Shapes(64)
dl = DataLoader(ds, batch_size=16, shuffle=True, drop_last=True)
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4, nesterov=True)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
for ep in range(6):
    net.train()
    correct = 0
    total = 0
    run = 0.
    for xb, yb in dl:
        out = net(xb)
        loss = F.cross_entropy(out, yb, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        run += loss.item() * xb.size(0)
        correct += (out.argmax(dim=1) == yb).sum().item()
        total += yb.numel()
    sched.step()
    lr = opt.param_groups[0]['lr']
    print(f"epoch {ep} loss {run/total:.4f} acc {correct/total:.3f} lr {lr:.5f}")
net.eval()
with torch.inference_mode():
    logits = net(ds.x[:20])
    pred = logits.argmax(1)
    cm = torch.zeros(4, 4, dtype=torch.long)
    for t, p in zip(ds.y[:20], pred):
        cm[t, p] += 1
    print(cm)
    probs = F.softmax(logits, -1)
    print(probs[:3])
    top = probs.topk(2, dim=1)
    print(top.values[:2], top.indices[:2])
print(net[1].running_mean, net[1].num_batches_tracked)
torch.save(net, "net.pt")
net2 = torch.load("net.pt", weights_only=False)
print(type(net2).__name__, len(net2))
x = torch.arange(12.).reshape(3, 4)
x[1] = 7
x[:, 0] *= -1
x[x > 8] = 0.5
print(x, x.dtype, x.mean(dim=0, keepdim=True))
print(torch.stack([x, x * 2]).permute(1, 0, 2).contiguous().view(3, -1))
print(torch.cat([x, x.new_ones(3, 1)], 1).std(1), x.t() @ x)

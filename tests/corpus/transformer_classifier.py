"""A transformer classifier as text models train one: a ConcatDataset, Subset and a collate_fn,
an Embedding tied to the output layer, TransformerEncoderLayer with dropout, ModuleDict,
ParameterList and a buffer, AdamW with OneCycleLR and ReduceLROnPlateau, gradient
accumulation with clip_grad_value_, a checkpoint in a BytesIO, deepcopy and freezing,
MultiheadAttention weights, no_grad and inference_mode."""
import copy
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, DataLoader, Dataset, RandomSampler, Subset

torch.manual_seed(11)
class Toks(Dataset):
    def __init__(self, n, T): self.x = torch.randint(1, 30, (n, T))
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return {"ids": self.x[i], "label": int(self.x[i].sum() % 2)}
def collate(batch):
    return torch.stack([b["ids"] for b in batch]), torch.tensor([b["label"] for b in batch])
ds = ConcatDataset([Toks(20, 6), Toks(12, 6)])
print(len(ds), ds[25]["label"])
sub = Subset(ds, list(range(0, 32, 2)))
w = torch.ones(len(sub))
w[:4] = 3
sampler = RandomSampler(sub, replacement=True, num_samples=16)
dl = DataLoader(sub, batch_size=4, sampler=sampler, collate_fn=collate)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.enc = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.1,
                                              batch_first=True)
        self.heads = nn.ModuleDict({"cls": nn.Linear(16, 2), "aux": nn.Linear(16, 1)})
        self.extra = nn.ParameterList([nn.Parameter(torch.zeros(2))])
        self.register_buffer("scale", torch.tensor(0.5))
        self.out = nn.Linear(16, 30, bias=False)
        self.out.weight = self.emb.weight
    def forward(self, x):
        h = self.enc(self.emb(x) * self.scale)
        p = h.mean(1)
        return self.heads["cls"](p) + self.extra[0], self.out(h)

net = Net()
print([n for n, _ in net.named_parameters()][:6], len(list(net.parameters())))
print(net.heads, sum(p.numel() for p in net.parameters()))
opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=20)
probe = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(probe, patience=1)
accum = 2
step = 0
for epoch in range(5):
    net.train()
    tot = 0.0
    for i, (x, y) in enumerate(dl):
        logits, lm = net(x)
        loss = F.cross_entropy(logits, y) + 0.1 * F.cross_entropy(lm.reshape(-1, 30), x.reshape(-1))
        (loss / accum).backward()
        if (i + 1) % accum == 0:
            nn.utils.clip_grad_value_(net.parameters(), 0.5)
            opt.step()
            opt.zero_grad()
            sched.step()
            step += 1
        tot += loss.item()
    plateau.step(tot)
    print(epoch, f"{tot:.4f}", f"{sched.get_last_lr()[0]:.6f}", probe.param_groups[0]['lr'])
net.eval()
with torch.no_grad():
    x, y = collate([sub[i] for i in range(4)])
    a1 = net(x)[0]
    a2 = net(x)[0]
    print(torch.equal(a1, a2), a1.softmax(-1))
buf = io.BytesIO()
torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "epoch": 5}, buf)
buf.seek(0)
ck = torch.load(buf)
net2 = Net()
net2.load_state_dict(ck["model"])
net2.eval()
opt2 = torch.optim.AdamW(net2.parameters())
opt2.load_state_dict(ck["opt"])
print(ck["epoch"], opt2.param_groups[0]["lr"], len(opt2.state))
with torch.no_grad():
    print(torch.allclose(net2(x)[0], a1))
net3 = copy.deepcopy(net)
for p in net3.emb.parameters():
    p.requires_grad_(False)
print(sum(p.requires_grad for p in net3.parameters()), net3.out.weight is net3.emb.weight)
mha = nn.MultiheadAttention(16, 4, batch_first=True)
q = torch.randn(2, 5, 16)
o, wts = mha(q, q, q, need_weights=True)
print(o.shape, wts.shape, wts.sum(-1))
@torch.no_grad()
def evaluate(m): return m(x)[0].argmax(1)
print(evaluate(net), torch.is_grad_enabled())
with torch.inference_mode():
    z = net(x)[0]
print(z.requires_grad)

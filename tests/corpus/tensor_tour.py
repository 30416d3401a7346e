"""A tour of tensor operations as notebooks print them: reductions, sorting, quantiles,
boolean and fancy indexing, element writes, linear algebra (norms, determinants, SVD, QR,
eigh, solve), splitting and joining, padding and interpolation, elementwise and special
functions, integer division and rounding, random draws after a seed, and the formatting
of small and large numbers."""
import torch

torch.manual_seed(7)
a = torch.randn(4, 5)
print(a)
print(a.max(), a.argmax(), a.max(dim=1), a.min(0).indices)
print(a.sort(dim=1, descending=True).values[:2])
print(torch.where(a > 0, a, torch.zeros_like(a)).sum(1))
print(a[a > 0.5], a[:, [0, 2]], a[[0, 1], [1, 2]], a[..., -1], a[None, 1:3, ::2].shape)
b = a.clone()
b[b < 0] = 0
b[:, 1] = torch.arange(4.)
b[0] += 10
print(b)
print(b.cumsum(0)[-1], b.cumprod(1)[:, -1], b.prod(), b.std(), b.var(0), b.median(),
      b.mode(0).values)
print(torch.quantile(a, 0.3), torch.quantile(a, torch.tensor([0.25, 0.75]), dim=1))
print(a.unique().shape, torch.unique(torch.tensor([3, 1, 3, 2, 1]), return_counts=True))
print(a.abs().sqrt().log1p().exp().round(decimals=2))
print(torch.einsum('ij,kj->ik', a, a).diagonal(), torch.trace(a[:4, :4]))
print(torch.linalg.norm(a), torch.linalg.det(a[:4, :4]),
      torch.linalg.inv(a[:4, :4] + 4 * torch.eye(4))[0])
u, s, vh = torch.linalg.svd(a, full_matrices=False)
print(s)
q, r = torch.linalg.qr(a[:4, :4])
print(r.diag().abs())
print(torch.linalg.eigh(a[:4, :4] @ a[:4, :4].T).eigenvalues)
print(torch.linalg.solve(a[:4, :4] + 4 * torch.eye(4), torch.ones(4)))
print(torch.chunk(torch.arange(10), 3), torch.tensor_split(torch.arange(10), [2, 5]))
print(torch.stack([torch.arange(3)] * 2, dim=1), torch.hstack([torch.ones(2), torch.zeros(1)]))
print(torch.meshgrid(torch.arange(2), torch.arange(3), indexing='xy'))
print(torch.repeat_interleave(torch.tensor([1, 2]), torch.tensor([2, 3])),
      torch.arange(6).view(2, 3).T.flatten())
print(torch.nn.functional.pad(torch.ones(1, 2, 2), (1, 1, 0, 1), value=-1))
print(torch.nn.functional.interpolate(torch.arange(4.).view(1, 1, 2, 2), scale_factor=2,
                                      mode='bilinear', align_corners=False))
print(torch.nn.functional.unfold(torch.arange(16.).view(1, 1, 4, 4), 2, stride=2))
print(a.topk(3).indices, a.kthvalue(2, dim=1).values, a.argsort(0)[0])
print(torch.histc(a, bins=4, min=-2, max=2), torch.bucketize(a[0], torch.tensor([-1., 0., 1.])))
x = torch.linspace(-3, 3, 7)
print(torch.sigmoid(x), torch.tanh(x), torch.erf(x), torch.special.expit(x))
print(x.clamp(-1, 1), x.sign(), x.floor(), x.frac(), torch.fmod(x, 2), torch.remainder(x, 2))
print(torch.tensor([1, 2, 3]) / 2, torch.tensor([1, 2, 3]) // 2, torch.tensor([5]) % 3,
      7 // torch.tensor([2]))
print(torch.tensor([1.5, 2.5, -0.5]).round(), torch.tensor([1e-8, 1e8, 123.456]))
print(torch.tensor([[1e-3, 1e3], [1, 2]]), torch.tensor([1, 2], dtype=torch.float64) * 1.1)
print(torch.zeros(2, 3, dtype=torch.bool), torch.tensor([True, False]).any(),
      torch.tensor(3.5).item(), torch.tensor([2]).tolist())
print(torch.full((2, 2), 7, dtype=torch.int32), torch.eye(2, dtype=torch.float16),
      torch.arange(0, 1, 0.25))
print(torch.randperm(6), torch.multinomial(torch.tensor([0.1, 0.5, 0.4]), 4, replacement=True),
      torch.bernoulli(torch.full((5,), 0.5)))
print(torch.normal(torch.zeros(3), torch.ones(3)), torch.randint(0, 10, (2, 3)),
      torch.rand(2).uniform_(-1, 1))
print(torch.empty(3).normal_(), torch.empty(2).exponential_(), torch.zeros(3).random_(0, 5))
print(torch.allclose(a, a + 1e-9), torch.equal(a, a.clone()), torch.isclose(a, a).all(), a.dtype,
      a.shape, a.size(1), a.ndim, a.numel())

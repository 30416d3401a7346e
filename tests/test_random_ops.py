"""Random sampling on tensors gives torch's numbers after the same seed, and behaves as an
in-place op."""

import numpy as np
import pytest
import torch

import ember
from helpers import same_error

PROGRAMS = {
    "randperm": lambda L: L.randperm(50),
    "randperm_small": lambda L: L.randperm(3, dtype=L.int32),
    "normal_": lambda L: L.empty(40).normal_(2.0, 3.0),
    "normal_small": lambda L: L.empty(5, dtype=L.float64).normal_(),
    "uniform_": lambda L: L.empty(7, dtype=L.float64).uniform_(-1, 2),
    "bernoulli_": lambda L: L.empty(30).bernoulli_(0.3),
    "bernoulli_tensor_p": lambda L: L.empty(6).bernoulli_(L.full((6,), 0.7)),
    "bernoulli": lambda L: L.bernoulli(L.full((20,), 0.4)),
    "bernoulli_method": lambda L: L.full((3, 4), 0.2).bernoulli(),
    "multinomial": lambda L: L.multinomial(L.tensor([0.1, 0.5, 0.4]), 5, replacement=True),
    "multinomial_rows": lambda L: L.tensor([[0.2, 0.8, 0.0], [1.0, 1.0, 1.0]]).multinomial(2),
    "normal_tensors": lambda L: L.normal(L.zeros(20), L.ones(20) * 2),
    "normal_mean_tensor": lambda L: L.normal(L.arange(6.0), 0.5),
    "normal_numbers": lambda L: L.normal(1.0, 2.0, size=(25,)),
    "exponential_": lambda L: L.empty(10).exponential_(2.0),
    "random_": lambda L: L.empty(10, dtype=L.int64).random_(5, 10),
    "sequence": lambda L: L.stack([L.empty(3).uniform_(), L.randperm(3).float(),
                                   L.empty(3).normal_()]),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_numbers_as_torch(name):
    ember.manual_seed(3)
    torch.manual_seed(3)
    got = PROGRAMS[name](ember)
    want = PROGRAMS[name](torch)
    assert got.dtype == ember.tensor(np.zeros(0, dtype=want.numpy().dtype)).dtype
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_generator_argument():
    ge, gt = ember.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    np.testing.assert_array_equal(ember.empty(17).normal_(generator=ge).numpy(),
                                  torch.empty(17).normal_(generator=gt).numpy())


def test_in_place_semantics():
    t = ember.zeros(4)
    v = t._version
    t.uniform_()
    assert t._version == v + 1
    same_error(lambda: ember.zeros(3, requires_grad=True).normal_(),
               lambda: torch.zeros(3, requires_grad=True).normal_())
    with ember.no_grad():
        w = ember.zeros(3, requires_grad=True).normal_()
    assert w.requires_grad and w.is_leaf


def test_errors():
    same_error(lambda: ember.randperm(-1), lambda: torch.randperm(-1), match_message=False)
    same_error(lambda: ember.multinomial(ember.tensor([0.5, 0.5]), 3),
               lambda: torch.multinomial(torch.tensor([0.5, 0.5]), 3))
    same_error(lambda: ember.zeros(2).normal_(0.0, -1.0),
               lambda: torch.zeros(2).normal_(0.0, -1.0))
    same_error(lambda: ember.zeros(2).uniform_(2, 1), lambda: torch.zeros(2).uniform_(2, 1))

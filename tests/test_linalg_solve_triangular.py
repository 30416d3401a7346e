"""linalg.solve_triangular against torch: values, gradients and second derivatives for
both triangles, both sides and unit diagonals, broadcast batches, mixed dtypes, and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_solve_triangular(upper, left, unitriangular):
    a = make_array((3, 3), np.float64, 1) + 3 * np.eye(3)
    b = make_array((3, 2) if left else (2, 3), np.float64, 2)
    call = lambda lib, x, y: lib.linalg.solve_triangular(  # noqa: E731
        x, y, upper=upper, left=left, unitriangular=unitriangular)
    check_op(call, [a, b])
    check_op(call, [a.astype(np.float32), b.astype(np.float32)])
    batched_a = make_array((2, 1, 3, 3), np.float64, 3) + 3 * np.eye(3)
    batched_b = make_array((4,) + b.shape, np.float64, 4)
    check_op(call, [batched_a, batched_b])
    check_op(call, [a, b], grad=(True, False))
    check_op(call, [a, b.astype(np.float32)])


def test_solve_triangular_errors_and_singular():
    z = np.array([[0.0, 0.0], [1.0, 1.0]])
    for call in [lambda lib: lib.linalg.solve_triangular(lib.tensor(z), lib.ones(2, 1,
                                                                                   dtype=lib.float64),
                                                         upper=False),
                 lambda lib: lib.linalg.solve_triangular(lib.tensor(z)[0], lib.ones(2, 1),
                                                         upper=False),
                 lambda lib: lib.linalg.solve_triangular(lib.tensor(z), lib.ones(2), upper=False),
                 lambda lib: lib.linalg.solve_triangular(lib.tensor(z), lib.ones(3, 1),
                                                         upper=False),
                 lambda lib: lib.linalg.solve_triangular(lib.zeros(2, 3), lib.ones(2, 1),
                                                         upper=False),
                 lambda lib: lib.linalg.solve_triangular(lib.tensor(z).long(),
                                                         lib.ones(2, 1).long(), upper=False),
                 lambda lib: lib.linalg.solve_triangular(lib.tensor(z), lib.ones(2, 3),
                                                         upper=False, left=False)]:
        try:
            expected = call(torch)
        except Exception:  # noqa: BLE001
            same_error(lambda call=call: call(ember), lambda call=call: call(torch))
            continue
        assert_same(call(ember), expected)

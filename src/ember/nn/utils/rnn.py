"""Helpers for batches of sequences of different lengths."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...ops import creation
from ...ops._core import broadcast_shape

__all__ = ["pad_sequence"]


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks tensors of shape (L_i, *) into one (T, B, *) tensor (B, T, * with
    batch_first), padding the shorter ones with padding_value on padding_side."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    longest = max(s.shape[0] for s in sequences)
    rest = tuple(sequences[0].shape[1:])
    shape = (len(sequences), longest) + rest if batch_first else \
        (longest, len(sequences)) + rest
    out = creation.full(shape, padding_value, dtype=sequences[0].dtype)
    # Filled as torch fills it, one sequence after the other (a CopySlices each).
    for i, seq in enumerate(sequences):
        n = seq.shape[0]
        # torch copies each sequence into its slot: copy's broadcasting error on a mismatch.
        broadcast_shape((n,) + rest, tuple(seq.shape))
        rows = slice(0, n) if padding_side == "right" else slice(longest - n, longest)
        if batch_first:
            out[i, rows] = seq
        else:
            out[rows, i] = seq
    return out

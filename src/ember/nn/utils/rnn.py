"""Helpers for batches of sequences of different lengths: padding, and packing them into a
PackedSequence that the recurrent layers run over, each sequence only as far as its
length."""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from ... import _dtypes
from ..._dtypes import int64
from ..._tensor import Tensor
from ...autograd.forward_ad import refuse_dual
from ...ops import creation
from ...ops._core import attach, broadcast_shape, needs_grad
from ...ops.nn_packing import PackPaddedSequenceBackward0
from ...ops.sorting import sort

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(optional: Any, fn: Any) -> Any:
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """Holds the data and list of batch_sizes of a packed sequence.

    batch_sizes holds the number of elements at each sequence step in the batch, not the
    sequence lengths: data `abc` and `x` pack to data `axbc` with batch_sizes [2, 1, 1].
    Instances are made by pack_padded_sequence and pack_sequence, not by hand."""

    def __new__(cls, data: Any, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # PackedSequence((data, batch_sizes), sorted_indices=...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def pin_memory(self) -> PackedSequence:
        """Copies the data and indices to pinned memory (batch_sizes stays as it is)."""
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          _bind(self.sorted_indices, lambda t: t.pin_memory()),
                          _bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """Performs dtype and/or device conversion on self.data, as Tensor.to; returns self
        when the data already has the desired dtype and device, else a copy (the indices
        follow the data's device, batch_sizes stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def call_to(t: Tensor) -> Tensor:
            return t.to(data.device)

        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, call_to),
                          _bind(self.unsorted_indices, call_to))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The packed sequence with its data in CUDA memory, as Tensor.cuda."""
        ex = creation.tensor((), dtype=self.data.dtype, device=self.data.device).to(
            *args, **kwargs)
        if ex.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The packed sequence with its data in CPU memory, as Tensor.cpu."""
        ex = creation.tensor((), dtype=self.data.dtype, device=self.data.device).to(
            *args, **kwargs)
        if ex.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self) -> PackedSequence:
        """The data as torch.float64."""
        return self.to(dtype=_dtypes.float64)

    def float(self) -> PackedSequence:
        """The data as torch.float32."""
        return self.to(dtype=_dtypes.float32)

    def half(self) -> PackedSequence:
        """The data as torch.float16."""
        return self.to(dtype=_dtypes.float16)

    def long(self) -> PackedSequence:
        """The data as torch.int64."""
        return self.to(dtype=_dtypes.int64)

    def int(self) -> PackedSequence:
        """The data as torch.int32."""
        return self.to(dtype=_dtypes.int32)

    def short(self) -> PackedSequence:
        """The data as torch.int16."""
        return self.to(dtype=_dtypes.int16)

    def char(self) -> PackedSequence:
        """The data as torch.int8."""
        return self.to(dtype=_dtypes.int8)

    def byte(self) -> PackedSequence:
        """The data as torch.uint8."""
        return self.to(dtype=_dtypes.uint8)

    @property
    def is_cuda(self) -> bool:
        """Return true if self.data stored on a gpu."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Return true if self.data stored on in pinned memory."""
        return self.data.is_pinned()


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """Returns the inverse of permutation (None for None): converts between the sorted and
    unsorted indices of a PackedSequence."""
    if permutation is None:
        return None
    output = creation.empty_like(permutation)
    output.scatter_(0, permutation, creation.arange(0, permutation.numel(),
                                                    device=permutation.device))
    return output


def _check_long_vector(t: Tensor) -> None:
    # ATen's checkLongTensor, for lengths and batch_sizes alike.
    if t.dim() != 1 or t.dtype != int64:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{t.dim()}D cpu {t.dtype._legacy} tensor")


def _pack_padded_sequence(input: Tensor, lengths: Tensor, batch_first: bool) -> tuple:
    """ATen's _pack_padded_sequence: (data, batch_sizes) of a padded (T, B, *) input, whose
    lengths are sorted in decreasing order."""
    refuse_dual("_pack_padded_sequence", input)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    # (detached: the node below records the packing on input itself)
    x = input.detach().transpose(0, 1) if batch_first else input.detach()
    _check_long_vector(lengths)
    batch = x.size(1)
    lens = lengths._data
    if lens.shape[0] != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.shape[0]} (batch_size={batch})")
    if lens[batch - 1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if (lens[1:] > lens[:-1]).any():
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    # Step t holds the sequences longer than t; a length beyond the input's T gives steps
    # without rows, as ATen's clamped slices do.
    batch_sizes = (lens[None, :] > np.arange(lens[0])[:, None]).sum(1, dtype=np.int64)
    steps = min(int(lens[0]), x.shape[0])
    t_idx = np.repeat(np.arange(steps), batch_sizes[:steps])
    b_idx = np.arange(t_idx.shape[0]) - np.repeat(np.cumsum(batch_sizes[:steps]) -
                                                  batch_sizes[:steps], batch_sizes[:steps])
    data = Tensor._make(np.ascontiguousarray(x._data[t_idx, b_idx]))
    if needs_grad(input):
        attach(PackPaddedSequenceBackward0, data, (input,), (),
               (tuple(x.shape), tuple(int(n) for n in batch_sizes[:steps]),
                t_idx * batch + b_idx, batch_first))
    return data, Tensor._make(batch_sizes)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a Tensor containing padded sequences of variable length.

    input is T x B x * (B x T x * with batch_first), lengths the length of each batch
    element (a list or a CPU tensor). With enforce_sorted the lengths must decrease;
    enforce_sorted=False sorts the batch, and the PackedSequence keeps the permutation."""
    if not isinstance(lengths, Tensor):
        lengths = creation.as_tensor(lengths, dtype=int64, device="cpu")
    else:
        lengths = lengths.to(dtype=int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack_padded_sequence(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _pad_packed_sequence(data: Tensor, batch_sizes: Tensor, batch_first: bool,
                         padding_value: Any, total_length: int) -> tuple:
    """ATen's _pad_packed_sequence, composed as ATen composes it (one copy into the padded
    output per run of equal batch sizes): (output of total_length steps, lengths)."""
    _check_long_vector(batch_sizes)
    sizes = [int(b) for b in batch_sizes._data]
    max_batch = sizes[0]
    rest = tuple(data.shape[1:])
    output = creation.full((total_length, max_batch) + rest, padding_value, dtype=data.dtype)
    lengths = np.empty(max_batch, np.int64)
    offset, prev_batch, prev_i = 0, max_batch, 0
    for i in range(len(sizes) + 1):
        batch = sizes[i] if i != len(sizes) else 0
        if batch != prev_batch:
            n = prev_batch * (i - prev_i)
            output[prev_i:i, :prev_batch] = data[offset:offset + n].view(
                (i - prev_i, prev_batch) + rest)
            offset += n
            prev_i = i
        # the sequences that end here
        lengths[batch:prev_batch] = i
        prev_batch = batch
    if batch_first:
        output = output.transpose(0, 1)
    return output, Tensor._make(lengths)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """Pads a packed batch of variable length sequences: the inverse of
    pack_padded_sequence.

    Returns the padded T x B x * tensor (B x T x * with batch_first), padded to
    total_length steps when given, and the lengths of the sequences, both in the batch's
    original order."""
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(f"Expected total_length to be at least the length of the "
                             f"longest sequence in input, but got total_length={total_length} "
                             f"and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    if not isinstance(max_seq_length, numbers.Integral):
        raise TypeError(f"_pad_packed_sequence(): argument 'total_length' (position 5) must be "
                        f"int, not {type(max_seq_length).__name__}")
    if not isinstance(padding_value, (numbers.Number, Tensor)):
        raise TypeError(f"_pad_packed_sequence(): argument 'padding_value' (position 4) must "
                        f"be Number, not {type(padding_value).__name__}")
    padded_output, lengths = _pad_packed_sequence(sequence.data, sequence.batch_sizes,
                                                  batch_first, padding_value,
                                                  int(max_seq_length))
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return (padded_output.index_select(batch_dim, unsorted_indices),
                lengths[unsorted_indices.cpu()])
    return padded_output, lengths


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


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list:
    """Unpads a padded tensor into a list of variable length tensors."""
    unpadded_sequences = []
    if not batch_first:
        # torch transposes the caller's tensor in place (transpose_); ember has no in-place
        # view ops, so it leaves the caller's tensor as it is and reads a transposed view.
        padded_sequences = padded_sequences.transpose(0, 1)
    max_length = padded_sequences.shape[1]
    idx = creation.arange(max_length, device=lengths.device)
    for seq, length in zip(padded_sequences, lengths, strict=True):
        mask = idx < length
        unpadded_sequences.append(seq[mask])
    return unpadded_sequences


def pack_sequence(sequences: list, enforce_sorted: bool = True) -> PackedSequence:
    """Packs a list of variable length tensors (L_i x *): pad_sequence, then
    pack_padded_sequence. With enforce_sorted they must come in decreasing length."""
    lengths = creation.as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """Unpacks a PackedSequence into the list of variable length tensors it holds."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)

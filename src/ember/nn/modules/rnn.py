"""Recurrent layers (RNN, LSTM, GRU), composed of ember ops."""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...autograd.forward_ad import refuse_dual
from ...autograd.graph import Node
from ...ops import arithmetic
from ...ops._core import attach_outputs, needs_grad
from ...ops.joining import cat, stack
from ...ops.shape import unsafe_chunk
from .. import functional as F
from .. import init
from ..parameter import zeros_parameter as _empty
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNBase(Module):
    """Base class for RNN modules (RNN, LSTM, GRU): the layers' weights, in torch's order
    and names."""

    _gates = 1

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.dropout = float(dropout)  # torch converts first (its errors for a non-number)
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: "
                            f"{type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dirs = 2 if bidirectional else 1
        gate = self._gates * hidden_size
        # An LSTM with projections carries its hidden state at proj_size.
        state = proj_size or hidden_size
        self._flat_weights_names: list = []
        self._all_weights: list = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_size = input_size if layer == 0 else state * dirs
                suffix = "_reverse" if d == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                params = [_empty(gate, in_size, dtype=dtype, device=device),
                          _empty(gate, state, dtype=dtype, device=device)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    params += [_empty(gate, dtype=dtype, device=device),
                               _empty(gate, dtype=dtype, device=device)]
                if proj_size:
                    names.append(f"weight_hr_l{layer}{suffix}")
                    params.append(_empty(proj_size, hidden_size, dtype=dtype, device=device))
                for n, p in zip(names, params):
                    setattr(self, n, p)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def __setstate__(self, state: dict) -> None:
        # Older torch pickles: all_weights held the names, and LSTMs had no proj_size.
        if "all_weights" in state:
            state["_all_weights"] = state.pop("all_weights")
        state.setdefault("proj_size", 0)
        state.pop("_flat_weights", None)  # a property here, computed from the names
        super().__setstate__(state)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters of each layer and direction, as lists in torch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Reset parameter data pointer so that they can use faster code paths.

        As in torch, this works only on a GPU with cuDNN; on the CPU it is a no-op."""

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _cell(self, x: Tensor, state: Any, w_hh: Tensor, b_hh: Any) -> Any:
        raise NotImplementedError

    def _run(self, input: Tensor, hx: Any) -> tuple:
        batched = input.dim() == 3
        expected = 3 if batched else 2
        if input.dim() not in (2, 3):
            # torch's RNN words it a little differently from its LSTM and GRU.
            rnn = self.mode.startswith("RNN")
            got = f"{input.dim()}D tensor" if rnn else f"{input.dim()}D"
            raise ValueError(f"{'RNN' if rnn else self.mode}: Expected input to be 2D or 3D, "
                             f"got {got} instead")
        self._check_hx_dims(hx, batched)
        x = input
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        seq, n = x.shape[0], x.shape[1]
        w0 = getattr(self, self._flat_weights_names[0])
        if input.dtype != w0.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if x.shape[2] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[2]}")
        if seq == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        dirs = 2 if self.bidirectional else 1
        states = self._layer_states(self._initial_state(hx, n, batched, dirs, x))
        out, finals = self._layers(x, states, self._layer, 2)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, self._final(finals, batched), expected

    def _layers(self, x: Tensor, states: Any, run_layer: Any, cat_dim: int) -> tuple:
        """The stack of layers over x from each layer and direction's initial state: (the
        last layer's output, the final states in torch's order). `run_layer` runs one layer
        and direction; in training, dropout between layers."""
        dirs = 2 if self.bidirectional else 1
        finals: list = []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                suffix = "_reverse" if d == 1 else ""
                w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
                w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
                b_ih = getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
                b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
                w_hr = getattr(self, f"weight_hr_l{layer}{suffix}") if self.proj_size else None
                k = layer * dirs + d
                y, state = run_layer(layer_in, w_ih, w_hh, b_ih, b_hh, states[k], d == 1,
                                     w_hr)
                outs.append(y)
                finals.append(state)
            layer_in = outs[0] if dirs == 1 else cat(outs, cat_dim)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        return layer_in, finals

    # -- packed input ---------------------------------------------------------------------
    # torch runs a PackedSequence through ATen's generic cells on the CPU: per layer and
    # direction one product for the input part of every step, then step by step with the
    # batch shrinking as batch_sizes says (only a float32 LSTM whose batch never shrinks
    # runs as a padded input).

    def _run_packed(self, input: PackedSequence, hx: Any) -> tuple:
        """(output PackedSequence, final state) of a packed input, as torch's forward."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if hx is None:
            hx = self._packed_zeros(data, self.num_layers * (2 if self.bidirectional else 1),
                                    int(batch_sizes[0]))
        else:
            # Each batch of the hidden state should match the input sequence that the user
            # believes they are passing in.
            hx = self._permute_hidden(hx, sorted_indices)
        self._check_packed(data, hx, batch_sizes)
        sizes = [int(b) for b in batch_sizes._data]
        if len(set(sizes)) == 1 and self._packed_as_padded(data):
            # ATen runs a packed float32 LSTM whose batch never shrinks as the padded input
            # it is, through oneDNN.
            x = data.reshape(len(sizes), sizes[0], data.size(-1))
            out, finals = self._layers(x, self._layer_states(hx), self._layer, 2)
            out = out.reshape(len(sizes) * sizes[0], out.size(-1))
        else:
            out, finals = self._layers(data, self._packed_states(hx),
                                       functools.partial(self._packed_layer, sizes), -1)
        out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        return out, self._permute_hidden(self._final(finals, True), unsorted_indices)

    def _packed_as_padded(self, data: Tensor) -> bool:
        return False

    def _packed_layer(self, sizes: list, x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any,
                      b_hh: Any, state: Any, reverse: bool, w_hr: Any) -> tuple:
        """One layer and direction over packed data x (steps of `sizes` rows): its packed
        output and final state."""
        run = self._packed_reverse if reverse else self._packed_forward
        return run(F.linear(x, w_ih, b_ih), sizes, state,
                   (w_hh, b_hh) if w_hr is None else (w_hh, b_hh, w_hr))

    def _packed_forward(self, xw: Tensor, sizes: list, hidden: Any, weights: tuple) -> tuple:
        """One forward layer over packed steps (xw: the input part of every step): its
        packed output and each sequence's state after its last step. A sequence that ends
        leaves the batch, its state set aside."""
        outs, ended = [], []
        offset, last = 0, sizes[0]
        for n in sizes:
            step = xw.narrow(0, offset, n)
            offset += n
            if n < last:
                ended.append(_hidden_slice(hidden, n, last))
                hidden = _hidden_slice(hidden, 0, n)
            last = n
            hidden = self._cell(step, hidden, *weights)
            outs.append(hidden[0] if isinstance(hidden, tuple) else hidden)
        ended.append(hidden)
        return cat(outs, 0), _hidden_concat(ended[::-1])

    def _packed_reverse(self, xw: Tensor, sizes: list, hidden: Any, weights: tuple) -> tuple:
        """One reverse layer over packed steps: from the last step back, each sequence
        starting from its initial state at its own last step as the batch grows."""
        outs = []
        offset, last = xw.shape[0], sizes[-1]
        state = _hidden_slice(hidden, 0, last)
        for n in reversed(sizes):
            if n > last:
                state = _hidden_concat([state, _hidden_slice(hidden, last, n)])
            step = xw.narrow(0, offset - n, n)
            offset -= n
            last = n
            state = self._cell(step, state, *weights)
            outs.append(state[0] if isinstance(state, tuple) else state)
        return cat(outs[::-1], 0), state

    def _packed_zeros(self, data: Tensor, layers: int, batch: int) -> Any:
        return Tensor._make(np.zeros((layers, batch, self.hidden_size), data._data.dtype))

    def _permute_hidden(self, hx: Any, permutation: Any) -> Any:
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    def _packed_states(self, hx: Any) -> Any:
        return hx.unbind(0)

    def _check_packed(self, data: Tensor, hx: Any, batch_sizes: Tensor) -> None:
        # torch's check_forward_args for a packed input (the data is 2-D).
        w0 = getattr(self, self._flat_weights_names[0])
        if data.dtype != w0.dtype:
            raise ValueError(f"RNN input dtype ({data.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({data.dtype})")
        if data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        if self.input_size != data.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.size(-1)}")
        expected = (self.num_layers * (2 if self.bidirectional else 1), int(batch_sizes[0]),
                    self.hidden_size)
        if hx.size() != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.size())}")

    def _check_hx_dims(self, hx: Any, batched: bool) -> None:
        if hx is not None and hx.dim() != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx should also be {3 if batched else 2}-D "
                               f"but got {hx.dim()}-D tensor")

    def _layer(self, x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, state: Any,
               reverse: bool, w_hr: Any = None) -> tuple:
        """One layer and direction over the whole sequence x: (its outputs, its last
        state), composed of ember ops step by step (w_hr: an LSTM's projection)."""
        xw = F.linear(x, w_ih, b_ih).unbind(0)
        seq = x.shape[0]
        ys: list = [None] * seq
        proj = () if w_hr is None else (w_hr,)
        for t in (range(seq - 1, -1, -1) if reverse else range(seq)):
            state = self._cell(xw[t], state, w_hh, b_hh, *proj)
            ys[t] = state[0] if isinstance(state, tuple) else state
        return stack(ys, 0), state

    def _initial_state(self, hx: Any, n: int, batched: bool, dirs: int, x: Tensor,
                       which: str = "hidden", size: int = 0) -> Any:
        shape = (self.num_layers * dirs, n, size or self.hidden_size)
        if hx is None:
            return Tensor._make(np.zeros(shape, x._data.dtype))
        if not batched:
            hx = hx.unsqueeze(1)
        if tuple(hx.shape) != shape:
            raise RuntimeError(f"Expected {which} size {shape}, got {list(hx.shape)}")
        return hx

    def _layer_states(self, hx: Any) -> Any:
        # The initial state of each layer and direction, as torch takes them apart.
        return hx.unbind(0)

    def _final(self, finals: list, batched: bool) -> Any:
        h = stack(finals, 0)
        return h if batched else h.squeeze(1)


class RNN(RNNBase):
    """An Elman RNN with tanh or ReLU non-linearity."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, device, dtype)
        self.nonlinearity = nonlinearity

    def _cell(self, x: Tensor, h: Tensor, w_hh: Tensor, b_hh: Any) -> Tensor:
        pre = F.linear(h, w_hh, b_hh) + x
        return arithmetic.tanh(pre) if self.nonlinearity == "tanh" else arithmetic.relu(pre)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        out, h, _ = self._run(input, hx)
        return out, h


class LSTM(RNNBase):
    """A multi-layer long short-term memory (LSTM) RNN."""

    _gates = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def _initial_state(self, hx: Any, n: int, batched: bool, dirs: int, x: Tensor) -> Any:
        sizes = (self.proj_size or self.hidden_size, self.hidden_size)
        if hx is None:
            h, c = (super(LSTM, self)._initial_state(None, n, batched, dirs, x, size=s)
                    for s in sizes)
            return (h, h) if sizes[0] == sizes[1] else (h, c)
        return tuple(super(LSTM, self)._initial_state(h, n, batched, dirs, x, f"hidden[{i}]",
                                                      sizes[i])
                     for i, h in enumerate(hx))

    def _check_hx_dims(self, hx: Any, batched: bool) -> None:
        dims = 3 if batched else 2
        if hx is not None and (hx[0].dim() != dims or hx[1].dim() != dims):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"For {kind} input, hx and cx should also be {dims}-D but got "
                               f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")

    def _layer_states(self, hx: Any) -> Any:
        h, c = hx
        if self._fused(h):
            return [(h[k], c[k]) for k in range(h.shape[0])]
        return list(zip(h.unbind(0), c.unbind(0)))

    def _packed_as_padded(self, data: Tensor) -> bool:
        return self._fused(data)

    def _packed_zeros(self, data: Tensor, layers: int, batch: int) -> tuple:
        dt = data._data.dtype
        return (Tensor._make(np.zeros((layers, batch, self.proj_size or self.hidden_size), dt)),
                Tensor._make(np.zeros((layers, batch, self.hidden_size), dt)))

    def _permute_hidden(self, hx: Any, permutation: Any) -> Any:
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _packed_states(self, hx: Any) -> list:
        return list(zip(hx[0].unbind(0), hx[1].unbind(0)))

    def _check_packed(self, data: Tensor, hx: Any, batch_sizes: Tensor) -> None:
        # torch's LSTM checks no packed arguments in Python: ATen's lstm takes the states as
        # a list of two, and the cells' own ops refuse the rest.
        if not isinstance(hx, (tuple, list)):
            name = "Tensor" if isinstance(hx, Tensor) else type(hx).__name__
            raise TypeError(f"lstm() received an invalid combination of arguments - got "
                            f"(Tensor, Tensor, {name}, list, bool, int, float, bool, bool), but "
                            "expected one of:")
        if len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
        # ATen reads projections from the states' sizes and groups the parameters by them,
        # then pairs groups and states by direction and gives one pair to each layer.
        per = (4 if self.bias else 2) + (hx[0].size(2) != hx[1].size(2))
        groups, rest = divmod(len(self._flat_weights_names), per)
        if rest:
            raise RuntimeError("got an incorrect number of RNN parameters")
        hiddens, dirs = hx[0].size(0), 2 if self.bidirectional else 1
        if dirs == 2 and (hiddens % 2 or groups % 2):
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
        if hiddens // dirs != self.num_layers:
            raise RuntimeError("Expected more hidden states in stacked_rnn")
        if groups // dirs != self.num_layers:
            raise RuntimeError("Expected more weights in stacked_rnn")

    def _fused(self, x: Tensor) -> bool:
        # torch runs a float32 LSTM layer on the CPU as one oneDNN kernel, one node in the
        # graph; other dtypes step by step.
        return x._data.dtype == np.float32 and not self.proj_size

    def _cell(self, x: Tensor, state: tuple, w_hh: Tensor, b_hh: Any,
              w_hr: Any = None) -> tuple:
        h, c = state
        gates = F.linear(h, w_hh, b_hh) + x
        i, f, g, o = unsafe_chunk(gates, 4, 1)
        i = arithmetic.sigmoid(i)
        f = arithmetic.sigmoid(f)
        g = arithmetic.tanh(g)
        o = arithmetic.sigmoid(o)
        c = f * c + i * g
        h = o * arithmetic.tanh(c)
        return (h if w_hr is None else h.matmul(w_hr.t()), c)

    def _layer(self, x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, state: Any,
               reverse: bool, w_hr: Any = None) -> tuple:
        if not self._fused(x):
            return super()._layer(x, w_ih, w_hh, b_ih, b_hh, state, reverse, w_hr)
        refuse_dual("mkldnn_rnn_layer", x, w_ih, w_hh, b_ih, b_hh, *state)
        return _lstm_layer(x, w_ih, w_hh, b_ih, b_hh, state[0], state[1], reverse)

    def _final(self, finals: list, batched: bool) -> Any:
        h = stack([s[0] for s in finals], 0)
        c = stack([s[1] for s in finals], 0)
        return (h, c) if batched else (h.squeeze(1), c.squeeze(1))

    def forward(self, input: Any, hx: Any = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        if self.proj_size and input._data.dtype == np.float32:
            warnings.warn("LSTM with projections is not supported with oneDNN. Using default "
                          "implementation.", UserWarning, stacklevel=1)
        out, hc, _ = self._run(input, hx)
        return out, hc


class GRU(RNNBase):
    """A multi-layer gated recurrent unit (GRU) RNN."""

    _gates = 3

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GRU", *args, **kwargs)

    def _cell(self, x: Tensor, h: Tensor, w_hh: Tensor, b_hh: Any) -> Tensor:
        xr, xz, xn = unsafe_chunk(x, 3, 1)
        hr, hz, hn = unsafe_chunk(F.linear(h, w_hh, b_hh), 3, 1)
        # torch's operand order (the same values; the graph reads as torch's)
        r = arithmetic.sigmoid(hr + xr)
        z = arithmetic.sigmoid(hz + xz)
        n = arithmetic.tanh(xn + hn * r)
        return (h - n) * z + n

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        out, h, _ = self._run(input, hx)
        return out, h


class RNNCellBase(Module):
    """One step of a recurrent layer: the layer's cell, with its own parameters."""

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate = self._gates * hidden_size
        self.weight_ih = _empty(gate, input_size, dtype=dtype, device=device)
        self.weight_hh = _empty(gate, hidden_size, dtype=dtype, device=device)
        if bias:
            self.bias_ih = _empty(gate, dtype=dtype, device=device)
            self.bias_hh = _empty(gate, dtype=dtype, device=device)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _prepare(self, input: Tensor, hx: Any) -> tuple:
        """(input, hx, whether batched) with a batch dimension, hx zeros when not given."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = hx if isinstance(hx, tuple) else (hx,)
        for i, h in enumerate(states):
            if h is not None and h.dim() not in (1, 2):
                which = f"hx[{i}]" if isinstance(hx, tuple) else "hidden"
                raise ValueError(f"{name}: Expected {which} to be 1D or 2D, got {h.dim()}D "
                                 "instead")
        expected = self.weight_ih.shape[1]  # torch compares with the weight's width
        if input.shape[-1] != expected:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {expected}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zero = Tensor._make(np.zeros((input.shape[0], self.hidden_size),
                                         input._data.dtype))
            hx = (zero, zero) if self._gates == 4 else zero
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx) if isinstance(hx, tuple) else \
                hx.unsqueeze(0)
        for i, h in enumerate(hx if isinstance(hx, tuple) else (hx,)):
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} "
                                   f"batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                                   f"expected {self.hidden_size}")
        return input, hx, batched

    def _input_gates(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """An Elman RNN cell with tanh or ReLU non-linearity."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x, h, batched = self._prepare(input, hx)
        h = RNN._cell(self, self._input_gates(x), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory (LSTM) cell."""

    _gates = 4

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        x, state, batched = self._prepare(input, hx)
        h, c = LSTM._cell(self, self._input_gates(x), state, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit (GRU) cell."""

    _gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        h = GRU._cell(self, self._input_gates(x), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


def _hidden_slice(hidden: Any, start: int, end: int) -> Any:
    """Rows start:end of a state (an LSTM's: of both parts)."""
    if isinstance(hidden, tuple):
        return tuple(h.narrow(0, start, end - start) for h in hidden)
    return hidden.narrow(0, start, end - start)


def _hidden_concat(hiddens: list) -> Any:
    """States joined along the batch (an LSTM's part by part)."""
    if isinstance(hiddens[0], tuple):
        return tuple(cat(list(parts), 0) for parts in zip(*hiddens))
    return cat(hiddens, 0)


# -- one LSTM layer as one node ------------------------------------------------------------
# _lstm_steps and _lstm_backward are written once for NumPy arrays and for ember tensors
# (create_graph rebuilds the layer from them): they use only what both have (@, *, +, -, .T,
# indexing, sum(0), reshape) and take stack, cat, sigmoid and tanh as arguments. The forward
# and the plain backward run _lstm_forward_np and _lstm_backward_np, the same arithmetic on
# stacked arrays.

def _lstm_steps(x: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, h: Any, c: Any,
                reverse: bool, sigmoid: Any, tanh: Any) -> list:
    """Runs the layer; per time step (in time order) its gate activations i, f, g, o, its
    cell c and tanh(c), and the hidden and cell states it started from."""
    hs = w_hh.shape[1]
    xw = x @ w_ih.T
    if b_ih is not None:
        xw = xw + b_ih
    acts: list = [None] * x.shape[0]
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        z = xw[t] + h @ w_hh.T
        if b_hh is not None:
            z = z + b_hh
        i, f = sigmoid(z[:, :hs]), sigmoid(z[:, hs:2 * hs])
        g, o = tanh(z[:, 2 * hs:3 * hs]), sigmoid(z[:, 3 * hs:])
        c_new = f * c + i * g
        tc = tanh(c_new)
        acts[t] = (i, f, g, o, c_new, tc, h, c)
        h, c = o * tc, c_new
    return acts


def _lstm_backward(x: Any, w_ih: Any, w_hh: Any, acts: list, g_out: Any, g_hy: Any, g_cy: Any,
                   reverse: bool, stack_fn: Any, cat_fn: Any) -> tuple:
    """Backpropagation through time: the gradients of input, w_ih, w_hh, the bias, h0, c0."""
    dh, dc = g_hy, g_cy
    dz: list = [None] * len(acts)
    dw_hh = None
    for t in (range(len(acts)) if reverse else range(len(acts) - 1, -1, -1)):
        i, f, g, o, _, tc, h_prev, c_prev = acts[t]
        dh = dh + g_out[t]
        dc = dc + dh * o * (1 - tc * tc)
        z = cat_fn([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                    dh * tc * o * (1 - o)])
        dc = dc * f
        dz[t] = z
        step = z.T @ h_prev
        dw_hh = step if dw_hh is None else dw_hh + step
        dh = z @ w_hh
    dzs = stack_fn(dz)
    gates = dzs.shape[-1]
    dw_ih = dzs.reshape(-1, gates).T @ x.reshape(-1, x.shape[-1])
    return dzs @ w_ih, dw_ih, dw_hh, dzs.sum(0).sum(0), dh, dc


def _lstm_forward_np(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: Any, b_hh: Any,
                     h: np.ndarray, c: np.ndarray, reverse: bool) -> tuple:
    """The layer on arrays: (gates, cells, tanh of the cells, hidden states), each stacked
    over time, the gates as i, f, g, o activations side by side. One product for the input
    part of every step, and per step one product and a few ufuncs writing into the stacked
    arrays: the step-by-step form (a list of per-gate arrays per step) took 2.5 times as long
    on a 20-step, batch-16, hidden-64 layer."""
    hs = w_hh.shape[1]
    gates = x @ w_ih.T
    if b_ih is not None:
        gates += b_ih
    if b_hh is not None:
        gates += b_hh
    steps = x.shape[0]
    cells = np.empty(gates.shape[:2] + (hs,), gates.dtype)
    tcells = np.empty_like(cells)
    hidden = np.empty_like(cells)
    w_t = w_hh.T
    with np.errstate(over="ignore"):
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            z = gates[t]
            z += h @ w_t
            g = np.tanh(z[:, 2 * hs:3 * hs])
            # sigmoid(z) = 1 / (1 + exp(-z)) over all four gates, g's part then replaced
            np.negative(z, out=z)
            np.exp(z, out=z)
            z += 1
            np.reciprocal(z, out=z)
            z[:, 2 * hs:3 * hs] = g
            c_new = cells[t]
            np.multiply(z[:, hs:2 * hs], c, out=c_new)
            c_new += z[:, :hs] * g
            np.tanh(c_new, out=tcells[t])
            np.multiply(z[:, 3 * hs:], tcells[t], out=hidden[t])
            h, c = hidden[t], c_new
    return gates, cells, tcells, hidden


def _lstm_backward_np(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, h0: np.ndarray,
                      c0: np.ndarray, saved: tuple, g_out: Any, g_hy: Any, g_cy: Any,
                      reverse: bool) -> tuple:
    """_lstm_backward on arrays: the factors of every step that do not depend on the
    incoming gradient are computed for all steps at once, the weight gradients as one
    product over all steps; the loop keeps only the recurrence (8 NumPy calls a step where
    the generic form makes about 30)."""
    gates, cells, tcells, hidden = saved
    steps, n, hs = cells.shape
    i, f, g, o = (gates[..., k * hs:(k + 1) * hs] for k in range(4))
    order = range(steps) if reverse else range(steps - 1, -1, -1)
    # the states each step started from
    h_prev, c_prev = np.empty_like(hidden), np.empty_like(cells)
    if reverse:
        h_prev[:-1], h_prev[-1] = hidden[1:], h0
        c_prev[:-1], c_prev[-1] = cells[1:], c0
    else:
        h_prev[1:], h_prev[0] = hidden[:-1], h0
        c_prev[1:], c_prev[0] = cells[:-1], c0
    dc_from_dh = o * (1 - tcells * tcells)
    by_dc = np.empty((steps, n, 3, hs), gates.dtype)
    by_dc[:, :, 0] = g * i * (1 - i)
    by_dc[:, :, 1] = c_prev * f * (1 - f)
    by_dc[:, :, 2] = i * (1 - g * g)
    by_dh = tcells * o * (1 - o)
    dz = np.empty((steps, n, 4, hs), gates.dtype)
    dh = g_hy if g_hy is not None else np.zeros((n, hs), gates.dtype)
    dc = g_cy if g_cy is not None else np.zeros((n, hs), gates.dtype)
    for t in order:
        if g_out is not None:
            dh = dh + g_out[t]
        dc = dc + dh * dc_from_dh[t]
        np.multiply(by_dc[t], dc[:, None, :], out=dz[t, :, :3])
        np.multiply(dh, by_dh[t], out=dz[t, :, 3])
        dc = dc * f[t]
        dh = dz[t].reshape(n, 4 * hs) @ w_hh
    flat = dz.reshape(steps * n, 4 * hs)
    dw_hh = flat.T @ h_prev.reshape(steps * n, hs)
    dw_ih = flat.T @ x.reshape(steps * n, x.shape[-1])
    dx = (flat @ w_ih).reshape(steps, n, -1)
    return dx, dw_ih, dw_hh, np.add.reduce(flat, 0), dh, dc


class MkldnnRnnLayerBackward0(Node):
    """The node of one layer and direction of a float32 LSTM, as torch's CPU kernel records
    it: edges to the layer's input, w_ih, w_hh, b_ih, b_hh, hx and cx; outputs the layer's
    output, hy and cy."""

    __slots__ = ()
    n_outputs = 3

    def apply(self, grads: Any, graph: bool) -> tuple:
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = self.unpack(graph)
        reverse, saved = self._ctx
        if graph:
            acts = _lstm_steps(x, w_ih, w_hh, b_ih, b_hh, h0, c0, reverse, arithmetic.sigmoid,
                               arithmetic.tanh)
            shapes = ((x.shape[0],) + tuple(h0.shape), h0.shape, c0.shape)
            g_out, g_hy, g_cy = (g if g is not None else Tensor._make(np.zeros(s, np.float32))
                                 for g, s in zip(grads, shapes))
            dx, dw_ih, dw_hh, db, dh0, dc0 = _lstm_backward(
                x, w_ih, w_hh, acts, g_out, g_hy, g_cy, reverse, lambda ts: stack(ts, 0),
                lambda ts: cat(ts, 1))
        else:
            dx, dw_ih, dw_hh, db, dh0, dc0 = _lstm_backward_np(x, w_ih, w_hh, h0, c0, saved,
                                                               *grads, reverse)
        out = (dx, dw_ih, dw_hh, db, db if graph else db.copy(), dh0, dc0)
        edges = self._next
        return tuple(g if edges[2 * k] is not None else None for k, g in enumerate(out))


MkldnnRnnLayerBackward0.__module__ = "ember.autograd.graph"


def _lstm_layer(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, h0: Tensor,
                c0: Tensor, reverse: bool) -> tuple:
    """One float32 LSTM layer and direction computed in NumPy and recorded as one node:
    (output, (hy, cy))."""
    if not x.is_contiguous():
        # torch's kernel takes its input contiguous (batch_first inputs are transposed).
        x = x.contiguous()
    arrays = [None if v is None else v._data for v in (x, w_ih, w_hh, b_ih, b_hh, h0, c0)]
    saved = _lstm_forward_np(*arrays, reverse)
    hidden, last = saved[3], 0 if reverse else -1
    # The outputs are copies: the backward reads the states from `saved`, which an in-place
    # change of the output must not reach.
    inputs = (x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    grad = needs_grad(*inputs)
    out = Tensor._make(hidden.copy() if grad else hidden)
    hy, cy = Tensor._make(hidden[last].copy()), Tensor._make(saved[1][last].copy())
    if grad:
        attach_outputs(MkldnnRnnLayerBackward0, (out, hy, cy), inputs, inputs,
                       (reverse, saved))
    return out, (hy, cy)

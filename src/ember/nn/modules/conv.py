"""Convolution layers: forward and transposed, in one and two dimensions."""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import zeros_parameter as _empty
from .module import Module
from .utils import _ntuple

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]


class _ConvNd(Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, transposed: bool, output_padding: Any,
                 groups: int, bias: bool, padding_mode: str, nd: int, dtype: Any,
                 device: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid:
            raise ValueError(f"padding_mode must be one of {valid}, but got padding_mode="
                             f"'{padding_mode}'")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in _ntuple(nd)(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(nd)(kernel_size)
        self.stride = _ntuple(nd)(stride)
        self.padding = padding if isinstance(padding, str) else _ntuple(nd)(padding)
        self.dilation = _ntuple(nd)(dilation)
        self.transposed = transposed
        self.output_padding = _ntuple(nd)(output_padding)
        self.groups = groups
        self.padding_mode = padding_mode
        # The F.pad amounts for the non-zero padding modes (last dimension first); 'same'
        # puts the odd element of an uneven total on the right.
        self._reversed_padding_repeated_twice: Any = [0, 0] * nd
        if isinstance(self.padding, str):
            if padding == "same":
                for i, (d, k) in enumerate(zip(self.dilation, self.kernel_size)):
                    total = d * (k - 1)
                    j = 2 * (nd - 1 - i)
                    self._reversed_padding_repeated_twice[j] = total // 2
                    self._reversed_padding_repeated_twice[j + 1] = total - total // 2
        else:
            self._reversed_padding_repeated_twice = tuple(
                p for p in reversed(self.padding) for _ in range(2))
        if transposed:
            self.weight = _empty(in_channels, out_channels // groups, *self.kernel_size,
                                 dtype=dtype, device=device)
        else:
            self.weight = _empty(out_channels, in_channels // groups, *self.kernel_size,
                                 dtype=dtype, device=device)
        if bias:
            self.bias = _empty(out_channels, dtype=dtype, device=device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def __setstate__(self, state: dict) -> None:
        # Modules pickled before torch had padding modes lack padding_mode.
        state.setdefault("padding_mode", "zeros")
        super().__setstate__(state)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _conv(self, *args: Any) -> Any:
        # The functional form, looked up when called: F's functions are put behind torch's
        # argument parser after this module is imported, so that a bad input meets it.
        return getattr(F, self._conv_name)(*args)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        # A forward convolution (`_conv`) with the layer's options and the given weight and
        # bias, as torch's Conv1d/Conv2d._conv_forward (subclasses pass their own weight).
        if self.padding_mode == "zeros":
            return self._conv(input, weight, bias, self.stride, self.padding, self.dilation,
                              self.groups)
        input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
        return self._conv(input, weight, bias, self.stride, 0, self.dilation, self.groups)


def _forward_conv_init(self: _ConvNd, in_channels: int, out_channels: int, kernel_size: Any,
                       stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                       bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                       dtype: Any = None) -> None:
    # The constructor of the forward convolutions, `_nd` spatial dims.
    _ConvNd.__init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                     False, 0, groups, bias, padding_mode, self._nd, dtype, device)


class Conv1d(_ConvNd):
    """Applies a 1D convolution over an input signal composed of several input planes."""

    _nd = 1
    _conv_name = "conv1d"
    __init__ = _forward_conv_init

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv2d(_ConvNd):
    """Applies a 2D convolution over an input signal composed of several input planes."""

    _nd = 2
    _conv_name = "conv2d"
    __init__ = _forward_conv_init

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class _ConvTransposeNd(_ConvNd):
    """The transposed convolutions: `_nd` spatial dims, computed by `_conv`."""

    _nd = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                 bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{self.__class__.__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, self._nd, dtype,
                         device)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self._output_padding(input, output_size)
        return self._conv(input, self.weight, self.bias, self.stride, self.padding,
                          output_padding, self.groups, self.dilation)

    def _output_padding(self, input: Tensor, output_size: Any) -> Any:
        """The output padding that gives the requested output size (the layer's own when
        none is requested): a transposed convolution's output size is ambiguous by up to
        stride - 1."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        lead = 2 if input.dim() == nd + 2 else 1
        if len(output_size) == lead + nd:
            output_size = output_size[lead:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must "
                             f"have {nd} or {lead + nd} elements (got {len(output_size)})")
        mins = [(input.shape[d + lead] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        maxs = [m + self.stride[d] - 1 for d, m in enumerate(mins)]
        sizes = [int(s) for s in output_size]
        for size, lo, hi in zip(sizes, mins, maxs):
            if size < lo or size > hi:
                # torch prints the sizes as given, and input.size()[2:] even when unbatched.
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {mins} to {maxs} (for an input of "
                                 f"{input.shape[2:]!r})")
        return tuple(size - lo for size, lo in zip(sizes, mins))


class ConvTranspose1d(_ConvTransposeNd):
    """Applies a 1D transposed convolution operator over an input signal."""

    _nd = 1
    _conv_name = "conv_transpose1d"


class ConvTranspose2d(_ConvTransposeNd):
    """Applies a 2D transposed convolution operator over an input image."""

    _nd = 2
    _conv_name = "conv_transpose2d"

"""The optimizers, each following the arithmetic of torch's single-tensor (foreach=False)
implementation step for step, so that trajectories match torch's."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .._version import bump_version
from ..ops.arithmetic import scaled_sum
from .optimizer import Optimizer, bump, f, grads_of, step_tensor

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD"]


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


def _lr(lr: Any) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    _check(0.0 <= float(lr), f"Invalid learning rate: {lr}")


def _betas(betas: tuple) -> None:
    _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")


def _adam_checks(lr: Any, eps: float, betas: tuple, weight_decay: float) -> None:
    _lr(lr)
    _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    _betas(betas)
    _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")


def _zeros(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data))


def _new_state(st: dict, p: Tensor, *buffers: str) -> None:
    """Fills a parameter's empty state: the step counter and zero buffers named `buffers`."""
    st["step"] = step_tensor()
    for name in buffers:
        st[name] = _zeros(p)


def _decay(x: np.ndarray, g: np.ndarray, lr: float, wd: float, decoupled: bool,
           dt: np.dtype) -> np.ndarray:
    """Weight decay: shrinks x in place (decoupled) or returns g + wd * x (coupled)."""
    if wd != 0:
        if decoupled:
            x *= f(1 - lr * wd, dt)
        else:
            # grad.add(param, alpha=weight_decay): one fused multiply-add, as torch's add.
            g = scaled_sum(g, x, wd, dt)
    return g


def _square_avg_(v: np.ndarray, g: np.ndarray, beta: float, dt: np.dtype) -> None:
    """v = beta * v + (1 - beta) * g * g, in place, in torch's order of operations."""
    v *= f(beta, dt)
    v += f(1 - beta, dt) * g * g


def _lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a.lerp_(b, w) with torch's two formulas (chosen by |w| < 0.5)."""
    t = a.dtype.type
    if abs(w) < 0.5:
        a += t(w) * (b - a)
    else:
        a[...] = b - (b - a) * t(1 - w)


class _PerParameter(Optimizer):
    """An optimizer whose step updates each parameter that has a gradient on its own.

    A subclass names in `_hyper_keys` the group entries its update reads (after lr, which
    always comes first), and gives `_update(x, g, dt, st, hp)`, which updates the parameter's
    data `x` in place from its gradient `g` (already negated under maximize), the parameter's
    state `st` and `hp`, those entries read once per group. State starts empty and is filled
    by `_init_state` before the first update."""

    _buffers: tuple[str, ...] = ()
    _hyper_keys: tuple[str, ...] = ()

    def _keeps_state(self, group: dict) -> bool:
        return True

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        _new_state(st, p, *self._buffers)

    def _update_group(self, group: dict) -> None:
        # lr may be a 1-element tensor: read it once as a Python float.
        hp = (float(group["lr"]), *[group[k] for k in self._hyper_keys])
        maximize = group["maximize"]
        # torch makes no state entry at all when a group needs none (SGD without momentum).
        state = self.state if self._keeps_state(group) else None
        update = self._update
        for p, g in grads_of(group):
            st = None
            if state is not None:
                st = state[p]
                if not st:
                    self._init_state(st, p, group)
            x = p._data
            update(x, -g if maximize else g, x.dtype, st, hp)
            bump_version(p)


class SGD(_PerParameter):
    """Stochastic gradient descent, optionally with momentum (and Nesterov momentum)."""

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Any = None, differentiable: bool = False, fused: Any = None) -> None:
        _lr(lr)
        _check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        _check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _keeps_state(self, group: dict) -> bool:
        return group["momentum"] != 0

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        # The momentum buffer starts as a copy of the first (decayed) gradient, in _update.
        pass

    _hyper_keys = ("momentum", "dampening", "weight_decay", "nesterov")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, mom, damp, wd, nesterov = hp
        g = _decay(x, g, lr, wd, False, dt)
        if mom != 0:
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = Tensor._make(np.array(g, copy=True))
            else:
                b = buf._data
                b *= f(mom, dt)
                # Without dampening the factor is exactly 1: a plain sum.
                if damp == 0:
                    b += g
                else:
                    b[...] = scaled_sum(b, g, 1 - damp, dt)
            g = scaled_sum(g, buf._data, mom, dt) if nesterov else buf._data
        # param.add_(grad, alpha=-lr): one fused multiply-add, as torch's add.
        x[...] = scaled_sum(x, g, -lr, dt)


class Adam(_PerParameter):
    """Adam: first and second moment estimates with bias correction."""

    _decoupled_default = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: Any = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: Any = None,
                 decoupled_weight_decay: bool | None = None) -> None:
        _adam_checks(lr, eps, betas, weight_decay)
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._decoupled_default
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    _buffers = ("exp_avg", "exp_avg_sq")

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        _new_state(st, p, *self._buffers)
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = _zeros(p)

    _hyper_keys = ("betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, (b1, b2), eps, wd, amsgrad, decoupled = hp
        step = bump(st["step"])
        g = _decay(x, g, lr, wd, decoupled, dt)
        m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
        _lerp_(m, g, 1 - b1)
        _square_avg_(v, g, b2, dt)
        bc1 = 1 - b1 ** step
        bc2 = 1 - b2 ** step
        step_size = lr / bc1
        bc2_sqrt = bc2 ** 0.5
        if amsgrad:
            mx = st["max_exp_avg_sq"]._data
            np.maximum(mx, v, out=mx)
            denom = np.sqrt(mx) / f(bc2_sqrt, dt) + f(eps, dt)
        else:
            denom = np.sqrt(v) / f(bc2_sqrt, dt) + f(eps, dt)
        x += f(-step_size, dt) * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay."""

    _decoupled_default = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Any = None, capturable: bool = False,
                 differentiable: bool = False, fused: Any = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(_PerParameter):
    """RMSprop: divides the gradient by a running root mean square of its magnitude."""

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _lr(lr)
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        _new_state(st, p, "square_avg")
        if group["momentum"] > 0:
            st["momentum_buffer"] = _zeros(p)
        if group["centered"]:
            st["grad_avg"] = _zeros(p)

    _hyper_keys = ("alpha", "eps", "weight_decay", "momentum", "centered")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, alpha, eps, wd, mom, centered = hp
        bump(st["step"])
        g = _decay(x, g, lr, wd, False, dt)
        sq = st["square_avg"]._data
        _square_avg_(sq, g, alpha, dt)
        if centered:
            ga = st["grad_avg"]._data
            _lerp_(ga, g, 1 - alpha)
            avg = np.sqrt(sq + f(-1, dt) * ga * ga)
        else:
            avg = np.sqrt(sq)
        avg += f(eps, dt)
        if mom > 0:
            buf = st["momentum_buffer"]._data
            buf *= f(mom, dt)
            buf += g / avg
            x += f(-lr, dt) * buf
        else:
            x += f(-lr, dt) * (g / avg)


class Adagrad(_PerParameter):
    """Adagrad: per-coordinate learning rates from the sum of squared gradients."""

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: Any = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: Any = None) -> None:
        _lr(lr)
        _check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= initial_accumulator_value,
               f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        st["step"] = step_tensor()
        st["sum"] = Tensor._make(np.full_like(p._data, group["initial_accumulator_value"]))

    _hyper_keys = ("lr_decay", "eps", "weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, decay, eps, wd = hp
        step = bump(st["step"])
        g = _decay(x, g, lr, wd, False, dt)
        clr = lr / (1 + (step - 1) * decay)
        s = st["sum"]._data
        s += f(1, dt) * g * g
        std = np.sqrt(s) + f(eps, dt)
        x += f(-clr, dt) * (g / std)


class Adadelta(_PerParameter):
    """Adadelta: step sizes from running averages of squared gradients and updates."""

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: Any = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _lr(lr)
        _check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    _buffers = ("square_avg", "acc_delta")

    _hyper_keys = ("rho", "eps", "weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, rho, eps, wd = hp
        bump(st["step"])
        g = _decay(x, g, lr, wd, False, dt)
        sq, acc = st["square_avg"]._data, st["acc_delta"]._data
        _square_avg_(sq, g, rho, dt)
        std = np.sqrt(sq + f(eps, dt))
        delta = np.sqrt(acc + f(eps, dt))
        delta /= std
        delta *= g
        _square_avg_(acc, delta, rho, dt)
        x += f(-lr, dt) * delta


class Adamax(_PerParameter):
    """Adamax: Adam with the infinity norm."""

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: Any = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _adam_checks(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    _buffers = ("exp_avg", "exp_inf")

    _hyper_keys = ("betas", "eps", "weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, (b1, b2), eps, wd = hp
        step = bump(st["step"])
        g = _decay(x, g, lr, wd, False, dt)
        m, u = st["exp_avg"]._data, st["exp_inf"]._data
        _lerp_(m, g, 1 - b1)
        u *= f(b2, dt)
        np.maximum(u, np.abs(g) + f(eps, dt), out=u)
        clr = lr / (1 - b1 ** step)
        x += f(-clr, dt) * (m / u)


class NAdam(_PerParameter):
    """NAdam: Adam with Nesterov momentum."""

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: Any = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _adam_checks(lr, eps, betas, weight_decay)
        _check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        st["step"] = step_tensor()
        st["mu_product"] = Tensor._make(np.ones((), np.float32))
        st["exp_avg"] = _zeros(p)
        st["exp_avg_sq"] = _zeros(p)

    _hyper_keys = ("betas", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, (b1, b2), eps, wd, md, decoupled = hp
        step = bump(st["step"])
        bc2 = 1 - b2 ** step
        g = _decay(x, g, lr, wd, decoupled, dt)
        mu = b1 * (1.0 - 0.5 * (0.96 ** (step * md)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
        mp = st["mu_product"]._data
        mp *= np.float32(mu)
        m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
        _lerp_(m, g, 1 - b1)
        _square_avg_(v, g, b2, dt)
        denom = np.sqrt(v / f(bc2, dt))
        mu_product = float(mp)
        mu_product_next = mu_product * mu_next
        denom += f(eps, dt)
        x += f(-lr * (1.0 - mu) / (1.0 - mu_product), dt) * (g / denom)
        x += f((-lr * mu_next) / (1.0 - mu_product_next), dt) * (m / denom)


class RAdam(_PerParameter):
    """RAdam: Adam with a rectified adaptive learning rate."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach: Any = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _adam_checks(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    _buffers = ("exp_avg", "exp_avg_sq")

    _hyper_keys = ("betas", "eps", "weight_decay", "decoupled_weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, (b1, b2), eps, wd, decoupled = hp
        step = bump(st["step"])
        g = _decay(x, g, lr, wd, decoupled, dt)
        m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
        _lerp_(m, g, 1 - b1)
        _square_avg_(v, g, b2, dt)
        bc1 = 1 - b1 ** step
        bc2 = 1 - b2 ** step
        corrected = m / f(bc1, dt)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * step * (b2 ** step) / bc2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = f(bc2 ** 0.5, dt) / (np.sqrt(v) + f(eps, dt))
            x += f(-1.0, dt) * (corrected * f(lr, dt) * adaptive * f(rect, dt))
        else:
            x += f(-1.0, dt) * (corrected * f(lr, dt))




class Rprop(_PerParameter):
    """Rprop (resilient backpropagation): per-coordinate step sizes that grow while the
    gradient keeps its sign and shrink when it flips."""

    def __init__(self, params: Any, lr: float = 1e-2, etas: tuple = (0.5, 1.2),
                 step_sizes: tuple = (1e-6, 50), *, capturable: bool = False,
                 foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _lr(lr)
        _check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        st["step"] = step_tensor()
        st["prev"] = _zeros(p)
        st["step_size"] = Tensor._make(np.full_like(p._data, float(group["lr"])))

    _hyper_keys = ("etas", "step_sizes")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        _, (etaminus, etaplus), (size_min, size_max) = hp
        bump(st["step"])
        prev, step_size = st["prev"]._data, st["step_size"]._data
        sign = np.sign(g * prev)
        # torch's three masked writes, in its order (a NaN sign stays NaN).
        sign[sign > 0] = etaplus
        sign[sign < 0] = etaminus
        sign[sign == 0] = 1
        step_size *= sign
        np.clip(step_size, f(size_min, dt), f(size_max, dt), out=step_size)
        g = np.array(g, copy=True)
        g[sign == f(etaminus, dt)] = 0
        x -= np.sign(g) * step_size
        prev[...] = g


class ASGD(_PerParameter):
    """Averaged stochastic gradient descent: SGD with a decaying step, keeping the running
    average of the iterates in state['ax']."""

    def __init__(self, params: Any, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: Any = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _lr(lr)
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, st: dict, p: Tensor, group: dict) -> None:
        st["step"] = step_tensor()
        st["eta"] = Tensor._make(np.array(float(group["lr"]), np.float32))
        st["mu"] = Tensor._make(np.ones((), np.float32))
        st["ax"] = _zeros(p)

    _hyper_keys = ("lambd", "alpha", "t0", "weight_decay")

    def _update(self, x: np.ndarray, g: np.ndarray, dt: np.dtype, st: Any, hp: tuple) -> None:
        lr, lambd, alpha, t0, wd = hp
        step = bump(st["step"])
        g = _decay(x, g, lr, wd, False, dt)
        eta, mu = st["eta"]._data, st["mu"]._data
        eta_value = float(eta)
        x *= f(1 - lambd * eta_value, dt)
        x += f(-eta_value, dt) * g
        ax = st["ax"]._data
        if float(mu) != 1:
            ax += (x - ax) * f(float(mu), dt)
        else:
            ax[...] = x
        # The new eta and mu pass through float32 tensors, as torch's as_tensor does.
        eta[...] = np.float32(lr / ((1 + lambd * lr * step) ** alpha))
        mu[...] = np.float32(1 / max(1, step - t0))
        bump_version(st["eta"])
        bump_version(st["mu"])

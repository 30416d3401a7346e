"""ember.special: torch.special's functions.

Many are torch's pointwise ops under the names SciPy gives them (expit is sigmoid, gammaln
is lgamma, psi is digamma, multigammaln is mvlgamma, gammainc is igamma): they record the
same nodes as those ops, as in torch; the others (ndtr, i0e, zeta, ...) are torch.special's
own. Each is
bound to torch's argument parser under its native name (special_expit), so that a bad
argument gets torch's message."""

from __future__ import annotations

from typing import Any

from ._arg_parser import bind
from ._signatures import SPECIAL
from .ops import arithmetic, elementary, nn_softmax, pointwise_special, reduction


def _round(input: Any, *, decimals: int = 0, out: Any = None) -> Any:
    """Rounds elements of input to `decimals` decimal digits (torch.round's decimals
    overload, also for decimals=0)."""
    return elementary.round(input, decimals=decimals, out=out)


# ember.special's name -> the op it is.
_OPS = {
    "digamma": pointwise_special.digamma, "psi": pointwise_special.digamma,
    "entr": pointwise_special.entr, "erf": elementary.erf, "erfc": elementary.erfc,
    "erfcx": pointwise_special.erfcx, "erfinv": elementary.erfinv,
    "gammainc": pointwise_special.igamma, "gammaincc": pointwise_special.igammac,
    "i0": pointwise_special.i0, "i0e": pointwise_special.i0e, "i1": pointwise_special.i1,
    "i1e": pointwise_special.i1e, "log_ndtr": pointwise_special.log_ndtr,
    "multigammaln": pointwise_special.mvlgamma, "ndtr": pointwise_special.ndtr,
    "ndtri": pointwise_special.ndtri, "xlog1py": pointwise_special.xlog1py,
    "zeta": pointwise_special.zeta,
    "exp2": elementary.exp2, "expit": arithmetic.sigmoid, "expm1": elementary.expm1,
    "gammaln": pointwise_special.lgamma, "log1p": arithmetic.log1p,
    "log_softmax": nn_softmax.log_softmax, "logit": elementary.logit,
    "logsumexp": reduction.logsumexp, "polygamma": pointwise_special.polygamma,
    "round": _round, "sinc": pointwise_special.sinc,
    "softmax": nn_softmax.softmax, "xlogy": elementary.xlogy,
}

# The functions torch does not differentiate: Bessel and Airy functions, orthogonal
# polynomials.
_OPS.update({name: getattr(pointwise_special, name) for name in (
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
    "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
    "laguerre_polynomial_l", "legendre_polynomial_p")})

__all__ = sorted(_OPS)


def _bound(name: str) -> object:
    signatures = SPECIAL.get("special_" + name)
    return _OPS[name] if signatures is None else bind(_OPS[name], signatures)


globals().update({name: _bound(name) for name in _OPS})

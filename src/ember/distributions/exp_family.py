"""ExponentialFamily: the base class of distributions of the exponential family, whose
entropy follows from their log normalizer (torch.distributions.ExponentialFamily)."""

from __future__ import annotations

from typing import Any

from .. import autograd
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """ExponentialFamily is the abstract base class for probability distributions whose
    density is p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))."""

    @property
    def _natural_params(self) -> tuple:
        """The natural parameters of the distribution."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Any) -> Any:
        """The log normalizing function F of the natural parameters."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        """The expected carrier measure, needed for the entropy."""
        raise NotImplementedError

    def entropy(self) -> Any:
        """Method to compute the entropy using the Bregman divergence of the log
        normalizer."""
        result: Any = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result += lg_normal
        for np_, g in zip(nparams, gradients):
            result -= (np_ * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result

"""ember.optim: optimizers and learning-rate schedulers."""

from .._lazy import lazy_names as _lazy_names
from .algorithms import (
    ASGD,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSprop,
    Rprop,
)
from .lbfgs import LBFGS
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS", "lr_scheduler", "swa_utils"]

# The schedulers load on first access (`optim.lr_scheduler`): many programs keep one rate.
__getattr__, __dir__ = _lazy_names(__name__, globals(), {"lr_scheduler": ".lr_scheduler",
                                                           "swa_utils": ".swa_utils"})

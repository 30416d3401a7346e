"""The layer classes of ember.nn."""

from .attention import *  # noqa: F403
from .container import *  # noqa: F403
from .layers import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import Module  # noqa: F401
from .rnn import *  # noqa: F403
from .transformer import *  # noqa: F403

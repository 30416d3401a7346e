"""torch.utils.tensorboard: torch's import fails as ember's does when the tensorboard
package is missing; with it installed, ember still has no SummaryWriter and says so."""

import tensorboard  # noqa: F401  (the ModuleNotFoundError torch raises without it)

raise ModuleNotFoundError(
    "ember has no torch.utils.tensorboard: its SummaryWriter is not part of ember; write "
    "the scalars with the tensorboard package's own writer", name=__name__)

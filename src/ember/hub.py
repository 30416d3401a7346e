"""torch.hub's checkpoint cache: `load_state_dict_from_url` loads a file that is already in
torch's cache directory, as torch does. ember does not reach the network, so a file that is
not there fails with urllib's URLError, the error torch raises offline."""

from __future__ import annotations

import os
import warnings
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

__all__ = ["get_dir", "set_dir", "load_state_dict_from_url", "download_url_to_file"]

_hub_dir: list = [None]


def _get_torch_home() -> str:
    return os.path.expanduser(os.getenv(
        "TORCH_HOME", os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")))


def get_dir() -> str:
    """Get the Torch Hub cache directory used for storing downloaded models & weights:
    set_dir's path, else $TORCH_HOME/hub (~/.cache/torch/hub by default)."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if _hub_dir[0] is not None:
        return _hub_dir[0]
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Optionally set the Torch Hub directory used to save downloaded models & weights."""
    _hub_dir[0] = os.path.expanduser(d)


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download object at the given URL to a local path; ember does not reach the network,
    so this raises the URLError torch raises offline."""
    raise URLError(f"ember does not download files: fetch {url} to {dst} with another tool")


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = False) -> dict:
    """Loads the serialized object at the given URL from torch's cache (model_dir, else
    <hub_dir>/checkpoints), where torch would have downloaded it."""
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        raise URLError(f"ember does not download files: fetch {url} to {cached_file} with "
                       "another tool, and this call loads it from there")
    from .serialization import load

    return load(cached_file, map_location=map_location, weights_only=weights_only)

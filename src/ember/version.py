"""torch.version: the torch release ember follows, as a CPU-only build of it reports itself,
and ember's own version (`ember`)."""

from __future__ import annotations

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu", "ember"]

# Programs compare torch.__version__ to choose code paths, so it names the torch release
# whose behaviour ember reproduces.
__version__ = "2.13.0+cpu"
debug = False
cuda: str | None = None
git_version = "Unknown"
hip: str | None = None
rocm: str | None = None
xpu: str | None = None
# ember's own release.
ember = "0.1.0"

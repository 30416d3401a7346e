"""ember: PyTorch's autograd and the torch surface around it, in Python on NumPy.

`import ember as torch` runs ordinary torch autograd code unchanged; `python -m ember prog.py`
(or `ember.install_as_torch()`) runs a program's own `import torch...` lines on ember.
"""

import builtins as _builtins

from . import (  # noqa: E402  # noqa: E402, I001
    accelerator,
    amp,
    autograd,
    backends,
    compiler,  # noqa: E402, I001
    cpu,
    cuda,
    func,
    linalg,  # noqa: E402, I001
    mps,
    nn,
    random,
    return_types,  # noqa: E402, I001
    torch_version,
    version,
)
from ._compile import compile  # noqa: E402, I001
from ._dtypes import (
    bfloat16,
    bool,
    can_cast,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from ._formats import (  # noqa: E402
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    sparse_bsc,
    sparse_bsr,
    sparse_coo,
    sparse_csc,
    sparse_csr,
    strided,
)
from ._lazy import lazy_names as _lazy_names
from ._legacy_types import *  # noqa: F403
from ._printing import set_printoptions
from ._random import (  # noqa: E402
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ._settings import (
    are_deterministic_algorithms_enabled,
    get_default_device,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_default_device,
    set_deterministic_debug_mode,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from ._tensor import Size, Tensor, device
from ._torch_alias import install_as_torch
from ._type_info import finfo, iinfo
from .amp.autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from .autograd.anomaly_mode import (  # noqa: E402, I001
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
)
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .func import vmap  # noqa: E402, I001
from .ops.arithmetic import *  # noqa: F403
from .ops.binning import *  # noqa: F403
from .ops.conversion import (
    conj,
    conj_physical,
    imag,
    is_nonzero,
    is_signed,
    real,
    resolve_conj,
    resolve_neg,
)
from .ops.creation import *  # noqa: F403
from .ops.decomp import *  # noqa: F403
from .ops.elementary import *  # noqa: F403
from .ops.grids_and_distances import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.joining import *  # noqa: F403
from .ops.lu import *  # noqa: F403
from .ops.matrix import *  # noqa: F403
from .ops.matrix_functions import *  # noqa: F403
from .ops.nn_softmax import *  # noqa: F403
from .ops.pointwise_special import *  # noqa: F403
from .ops.products import *  # noqa: F403
from .ops.random_ops import bernoulli, multinomial, normal, randperm  # noqa: E402
from .ops.reduction import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .ops.sorting import *  # noqa: F403
from .ops.statistics import *  # noqa: F403
from .ops.sum_mean import *  # noqa: F403

# The torch release ember follows, so that programs comparing torch.__version__ choose
# its code paths; ember's own release is version.ember.
__version__ = torch_version.TorchVersion(version.__version__)


def is_tensor(obj: object) -> _builtins.bool:
    """Returns True if obj is an ember tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> _builtins.int:
    """Returns the total number of elements in the input tensor."""
    return input.numel()


def is_floating_point(input: Tensor) -> _builtins.bool:
    """Returns True if the data type of input is a floating point data type."""
    return input.is_floating_point()



def _bind_argument_parser() -> None:
    # Over the transform wrappers, so that torch's argument checks come first, as in torch.
    import types

    from ._arg_parser import PYTHON_FUNCTIONS, bind, bind_functional, bind_python
    from ._signatures import FUNCTIONAL, FUNCTIONS, LINALG
    from .nn import functional

    g = globals()
    for name, signatures in FUNCTIONS.items():
        if isinstance(g.get(name), types.FunctionType) and name not in PYTHON_FUNCTIONS:
            g[name] = bind(g[name], signatures)
    for name, signatures in LINALG.items():
        attr = name[len("linalg_"):]
        fn = getattr(linalg, attr)
        if isinstance(fn, types.FunctionType):
            setattr(linalg, attr, bind(fn, signatures))
    for name, native_call in PYTHON_FUNCTIONS.items():
        g[name] = bind_python(g[name], native_call)
    namespace = functional.__dict__
    for name, entry in FUNCTIONAL.items():
        fn = namespace.get(name)
        if isinstance(fn, types.FunctionType):
            namespace[name] = bind_functional(fn, *entry)


_bind_argument_parser()

# Loaded on first access: most programs use few of these, and viz alone pulls in
# urllib.request and http.client.
__getattr__, __dir__ = _lazy_names(__name__, globals(), {
    "distributions": ".distributions", "hub": ".hub", "jit": ".jit", "onnx": ".onnx",
    "optim": ".optim", "testing": ".testing", "utils": ".utils", "viz": ".viz",
    "serialization": ".serialization", "special": ".special", "load": ".serialization:load",
    "save": ".serialization:save",
})

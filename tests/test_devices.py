"""Devices and the runtime surface as a CPU-only torch has them: torch.device, moving tensors
and modules to CUDA, torch.cuda, backends, accelerator, amp, the runtime switches, finfo and
iinfo, torch.__version__ and the jit/onnx/hub stand-ins, each compared with the installed
CPU-only torch."""

from __future__ import annotations

import warnings
from urllib.error import URLError

import pytest
import torch

import ember
from helpers import same_error


def both(fn):
    """fn(lib) for ember and torch."""
    return fn(ember), fn(torch)


def warned(fn):
    """The result of fn() and the (category, message) of each warning it gave."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = fn()
    return r, [(x.category, str(x.message)) for x in w]


DEVICE_STRINGS = ["cpu", "cuda", "cuda:0", "cuda:1", "cpu:0", "mps", "xpu", "meta", "cuda:-1",
                  "cuda:x", "cuda:01", "cuda:", "cuda:0:1", "CUDA", " cuda", "foo"]


@pytest.mark.parametrize("s", DEVICE_STRINGS)
def test_device_strings_parse_as_in_torch(s):
    try:
        expected = repr(torch.device(s))
    except RuntimeError:
        same_error(lambda: ember.device(s), lambda: torch.device(s))
        return
    d = ember.device(s)
    assert repr(d) == expected and str(d) == str(torch.device(s))
    assert (d.type, d.index) == (torch.device(s).type, torch.device(s).index)


@pytest.mark.parametrize("args", [("cuda", 1), ("cuda", -1), ("cuda:0", 1), (0,), (-1,)])
def test_device_with_an_index(args):
    try:
        expected = repr(torch.device(*args))
    except RuntimeError:
        same_error(lambda: ember.device(*args), lambda: torch.device(*args))
        return
    assert repr(ember.device(*args)) == expected


def test_device_equality_and_copy():
    for lib in (ember, torch):
        assert lib.device("cuda") != lib.device("cuda:0")
        assert lib.device(lib.device("cuda:1")) == lib.device("cuda", 1)
        assert (lib.device("cpu") == "cpu") is False
        assert len({lib.device("cpu"), lib.device("cpu")}) == 1


FACTORIES = [
    lambda lib, d: lib.ones(2, device=d),
    lambda lib, d: lib.zeros(2, 3, device=d),
    lambda lib, d: lib.empty(2, device=d),
    lambda lib, d: lib.full((2,), 1.0, device=d),
    lambda lib, d: lib.tensor([1.0], device=d),
    lambda lib, d: lib.as_tensor([1.0], device=d),
    lambda lib, d: lib.arange(3, device=d),
    lambda lib, d: lib.linspace(0, 1, 3, device=d),
    lambda lib, d: lib.eye(2, device=d),
    lambda lib, d: lib.rand(2, device=d),
    lambda lib, d: lib.randn(2, device=d),
    lambda lib, d: lib.randint(0, 3, (2,), device=d),
    lambda lib, d: lib.randperm(3, device=d),
    lambda lib, d: lib.normal(0.0, 1.0, (2,), device=d),
    lambda lib, d: lib.zeros_like(lib.ones(2), device=d),
    lambda lib, d: lib.rand_like(lib.ones(2), device=d),
    lambda lib, d: lib.ones(2).new_zeros(2, device=d),
    lambda lib, d: lib.ones(2).new_tensor([1.0], device=d),
]


@pytest.mark.parametrize("d", ["cuda", "cuda:0", "xpu"])
@pytest.mark.parametrize("k", range(len(FACTORIES)))
def test_factories_on_a_device_a_cpu_build_lacks(k, d):
    f = FACTORIES[k]
    same_error(lambda: f(ember, d), lambda: f(torch, d))
    same_error(lambda: f(ember, ember.device(d)), lambda: f(torch, torch.device(d)))


@pytest.mark.parametrize("k", range(len(FACTORIES)))
def test_factories_on_the_cpu(k):
    f = FACTORIES[k]
    for d in ("cpu", "cpu:0", None):
        e, t = f(ember, d), f(torch, d)
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype) == str(t.dtype)


MOVES = [
    lambda lib: lib.ones(2).to("cuda"),
    lambda lib: lib.ones(2).to("cuda:0"),
    lambda lib: lib.ones(2).to(lib.device("cuda")),
    lambda lib: lib.ones(2).to(device="cuda"),
    lambda lib: lib.ones(2).to("cuda", lib.float64),
    lambda lib: lib.ones(2).to(0),
    lambda lib: lib.ones(2).to("mps"),
    lambda lib: lib.ones(2).to("xpu"),
    lambda lib: lib.ones(2).to("foo"),
    lambda lib: lib.ones(2).cuda(),
    lambda lib: lib.ones(2).cuda(0),
    lambda lib: lib.ones(2).pin_memory(),
    lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    lambda lib: lib.nn.Linear(2, 2).to(lib.device("cuda:0")),
    lambda lib: lib.nn.Linear(2, 2).to("cuda", lib.float64),
    lambda lib: lib.nn.Linear(2, 2).to(0),
    lambda lib: lib.nn.Linear(2, 2).to("mps"),
    lambda lib: lib.nn.Linear(2, 2).to(device="cuda"),
    lambda lib: lib.nn.Linear(2, 2).cuda(),
    lambda lib: lib.nn.Linear(2, 2).cuda(0),
    lambda lib: lib.nn.ReLU().to("foo"),
    lambda lib: lib.nn.Sequential(lib.nn.ReLU(), lib.nn.BatchNorm1d(2)).cuda(),
]


@pytest.mark.parametrize("k", range(len(MOVES)))
def test_moving_to_a_device_a_cpu_build_lacks(k):
    same_error(lambda: MOVES[k](ember), lambda: MOVES[k](torch))


def test_moves_that_succeed():
    for lib in (ember, torch):
        t = lib.ones(2)
        assert t.to("cpu") is t and t.to("cpu", non_blocking=True) is t and t.cpu() is t
        # An index makes a copy, even on the CPU.
        w = lib.ones(2, requires_grad=True)
        c = w.to("cpu:0")
        assert c is not w and type(c.grad_fn).__name__ == "ToCopyBackward0"
        c.sum().backward()
        assert w.grad.tolist() == [1.0, 1.0]
        assert t.is_pinned() is False and t.is_cuda is False
        # A module with no tensors moves nowhere, so it succeeds even on CUDA.
        relu = lib.nn.ReLU()
        assert relu.cuda() is relu and relu.to("cuda") is relu
        m = lib.nn.Linear(2, 2)
        assert m.to("cpu") is m
        assert m.to("cpu", lib.float64).weight.dtype == lib.float64


def test_default_device():
    for lib in (ember, torch):
        assert lib.get_default_device() == lib.device("cpu")
    try:
        for lib in (ember, torch):
            lib.set_default_device("cuda")
        same_error(lambda: ember.get_default_device(), lambda: torch.get_default_device())
        same_error(lambda: ember.ones(2), lambda: torch.ones(2))
        same_error(lambda: ember.tensor([1.0]), lambda: torch.tensor([1.0]))
        # Tensors made from another one stay on its device.
        e, t = both(lambda lib: lib.zeros_like(lib.from_numpy(__import__("numpy").ones(2))))
        assert e.device.type == t.device.type == "cpu"
    finally:
        ember.set_default_device(None)
        torch.set_default_device(None)
    same_error(lambda: ember.set_default_device("foo"), lambda: torch.set_default_device("foo"))
    for lib in (ember, torch):
        lib.set_default_device("cpu")
        assert lib.ones(2).device == lib.device("cpu")
        assert repr(lib.get_default_device()) == "device(type='cpu')"
        lib.set_default_device(None)


def test_device_as_a_context_manager():
    for lib in (ember, torch):
        with lib.device("cpu") as d:
            assert d == lib.device("cpu") and lib.get_default_device() == lib.device("cpu")
            assert lib.ones(1).device == lib.device("cpu")

        def inside(lib):
            with lib.device("cuda"):
                lib.ones(2)

        assert lib.get_default_device() == lib.device("cpu")
    same_error(lambda: inside(ember), lambda: inside(torch))
    assert ember.get_default_device() == ember.device("cpu")


@pytest.mark.parametrize("d", ["cuda", "cuda:0", "xpu", "mps", "meta", "foo"])
def test_generators_of_other_devices(d):
    same_error(lambda: ember.Generator(device=d), lambda: torch.Generator(device=d))
    assert ember.Generator("cpu:0").initial_seed() == torch.Generator("cpu:0").initial_seed()


CUDA_CALLS = ["is_available", "device_count", "is_initialized", "init", "seed", "seed_all",
              "initial_seed", "get_rng_state", "get_rng_state_all", "synchronize",
              "empty_cache", "current_device", "get_device_name", "get_device_capability",
              "get_device_properties", "is_bf16_supported", "memory_allocated",
              "max_memory_allocated", "memory_reserved", "max_memory_reserved", "get_arch_list"]


@pytest.mark.parametrize("name", CUDA_CALLS)
def test_cuda_module(name):
    try:
        expected = getattr(torch.cuda, name)()
    except AssertionError:
        same_error(lambda: getattr(ember.cuda, name)(), lambda: getattr(torch.cuda, name)())
        return
    assert getattr(ember.cuda, name)() == expected


@pytest.mark.parametrize("name", ["is_available", "device_count", "seed", "get_rng_state",
                                  "synchronize", "empty_cache", "current_allocated_memory",
                                  "driver_allocated_memory", "recommended_max_memory"])
def test_mps_module(name):
    try:
        expected = getattr(torch.mps, name)()
    except RuntimeError:
        same_error(lambda: getattr(ember.mps, name)(), lambda: getattr(torch.mps, name)())
        return
    assert getattr(ember.mps, name)() == expected
    assert ember.mps.manual_seed(0) is torch.mps.manual_seed(0) is None


def test_cuda_seeding_and_devices():
    for lib in (ember, torch):
        assert lib.cuda.manual_seed(0) is None and lib.cuda.manual_seed_all(1) is None
        assert lib.cuda.set_rng_state_all([]) is None
        assert dict(lib.cuda.memory_stats()) == {}
    same_error(lambda: ember.cuda.set_device("cpu"), lambda: torch.cuda.set_device("cpu"))

    def enter(lib):
        with lib.cuda.device(0):
            pass

    same_error(lambda: enter(ember), lambda: enter(torch))


def test_accelerator_and_cpu_modules():
    for name in ("is_available", "current_accelerator", "device_count"):
        assert getattr(ember.accelerator, name)() == getattr(torch.accelerator, name)()
    for name in ("current_device_index", "synchronize", "empty_cache"):
        same_error(lambda name=name: getattr(ember.accelerator, name)(),
                   lambda name=name: getattr(torch.accelerator, name)())
    same_error(lambda: ember.accelerator.set_device_index(0),
               lambda: torch.accelerator.set_device_index(0))
    for name in ("is_available", "device_count", "current_device", "synchronize"):
        assert getattr(ember.cpu, name)() == getattr(torch.cpu, name)()


def test_backends_defaults_and_switches():
    import torch.backends.cudnn as tcudnn

    import ember.backends.cudnn as ecudnn

    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(ecudnn, name) == getattr(tcudnn, name), name
    assert ecudnn.is_available() == tcudnn.is_available() and ecudnn.version() is None
    assert ecudnn.is_acceptable(ember.ones(1)) == tcudnn.is_acceptable(torch.ones(1))
    for lib in (ember, torch):
        b = lib.backends
        saved = (b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32)
        try:
            b.cudnn.benchmark = True
            b.cudnn.deterministic = True
            b.cuda.matmul.allow_tf32 = True
            assert (b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32) == \
                (True, True, True)
            with b.cudnn.flags(enabled=False):
                assert b.cudnn.enabled is False
            assert b.cudnn.enabled is True
        finally:
            b.cudnn.benchmark, b.cudnn.deterministic, b.cuda.matmul.allow_tf32 = saved
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction"):
        assert getattr(ember.backends.cuda.matmul, name) == \
            getattr(torch.backends.cuda.matmul, name)
    same_error(lambda: ember.backends.cuda.matmul.foo, lambda: torch.backends.cuda.matmul.foo)
    same_error(lambda: setattr(ember.backends.cuda.matmul, "foo", 1),
               lambda: setattr(torch.backends.cuda.matmul, "foo", 1))
    for name in ("is_available", "is_built"):
        assert getattr(ember.backends.mps, name)() == getattr(torch.backends.mps, name)()
    assert ember.backends.cuda.is_built() == torch.backends.cuda.is_built()
    for m in ("mkl", "mkldnn", "openmp"):
        assert getattr(ember.backends, m).is_available() == \
            getattr(torch.backends, m).is_available()
    for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled"):
        assert getattr(ember.backends.cuda, name)() == getattr(torch.backends.cuda, name)()


def test_float32_matmul_precision():
    for lib in (ember, torch):
        assert lib.get_float32_matmul_precision() == "highest"
        try:
            lib.set_float32_matmul_precision("high")
            assert lib.get_float32_matmul_precision() == "high"
            assert lib.backends.cuda.matmul.allow_tf32 is True
        finally:
            lib.set_float32_matmul_precision("highest")
        assert lib.backends.cuda.matmul.allow_tf32 is False
    (_, we), (_, wt) = warned(lambda: ember.set_float32_matmul_precision("x")), \
        warned(lambda: torch.set_float32_matmul_precision("x"))
    assert [c for c, _ in we] == [c for c, _ in wt] == [UserWarning]
    assert wt[0][1].startswith(we[0][1])


def test_threads():
    for lib in (ember, torch):
        n = lib.get_num_threads()
        assert isinstance(n, int) and n > 0
        try:
            lib.set_num_threads(3)
            assert lib.get_num_threads() == 3
        finally:
            lib.set_num_threads(n)
        assert isinstance(lib.get_num_interop_threads(), int)
    for bad in (0, -1, 2.0):
        same_error(lambda bad=bad: ember.set_num_threads(bad),
                   lambda bad=bad: torch.set_num_threads(bad))
    same_error(lambda: ember.set_num_interop_threads(0), lambda: torch.set_num_interop_threads(0))


def test_interop_threads_are_set_once():
    from ember import _settings

    saved = dict(_settings._threads)
    try:
        ember.set_num_interop_threads(3)
        assert ember.get_num_interop_threads() == 3
        with pytest.raises(RuntimeError, match=r"^Error: cannot set number of interop threads "
                           r"after parallel work has started or set_num_interop_threads "
                           r"called$"):
            ember.set_num_interop_threads(3)
    finally:
        _settings._threads.update(saved)


def test_deterministic_algorithms():
    for lib in (ember, torch):
        try:
            lib.use_deterministic_algorithms(True)
            assert lib.are_deterministic_algorithms_enabled()
            assert not lib.is_deterministic_algorithms_warn_only_enabled()
            assert lib.get_deterministic_debug_mode() == 2
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.is_deterministic_algorithms_warn_only_enabled()
            assert lib.get_deterministic_debug_mode() == 1
            lib.set_deterministic_debug_mode("default")
            assert not lib.are_deterministic_algorithms_enabled()
        finally:
            lib.use_deterministic_algorithms(False)
    for bad in (1, "x"):
        same_error(lambda bad=bad: ember.use_deterministic_algorithms(bad),
                   lambda bad=bad: torch.use_deterministic_algorithms(bad))


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    assert repr(e) == repr(t)
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr) and type(getattr(e, attr)) is \
            type(getattr(t, attr)), attr
    assert repr(ember.finfo()) == repr(torch.finfo())
    assert ember.finfo(getattr(ember, name)) == e


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert repr(e) == repr(t)
    assert (e.bits, e.max, e.min, e.dtype) == (t.bits, t.max, t.min, t.dtype)


def test_finfo_iinfo_errors():
    same_error(lambda: ember.finfo(ember.int32), lambda: torch.finfo(torch.int32))
    same_error(lambda: ember.iinfo(ember.float32), lambda: torch.iinfo(torch.float32))
    same_error(lambda: ember.iinfo(ember.bool), lambda: torch.iinfo(torch.bool))
    same_error(lambda: ember.finfo(3), lambda: torch.finfo(3))


VERSIONS = ["2.2", "2.0", "2.13", "2.13.0", "2.13.0+cpu", "2.13.1", "2.14.0a0", "2.13.0rc1",
            "2.13.0.post1", "2.13.0.dev20240101", "2.13.0+cu121", "1!0.1", "parrot", (2, 2),
            (2, 13, 0), [3]]


@pytest.mark.parametrize("other", VERSIONS, ids=str)
def test_version_compares_as_torch_version(other):
    e, t = ember.__version__, torch.__version__
    assert e == t == "2.13.0+cpu" and isinstance(e, str)
    for op in ("__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"):
        assert getattr(e, op)(other) == getattr(t, op)(other), op


def test_version_module():
    from importlib.metadata import version

    packaging = pytest.importorskip("packaging.version")
    assert packaging.parse(ember.__version__) == packaging.parse(torch.__version__)
    assert ember.__version__ >= "2.2" and ember.__version__.split(".")[:2] == ["2", "13"]
    assert ember.__version__ > packaging.Version("2.0")
    assert hash(ember.__version__) == hash("2.13.0+cpu")
    for name in ("__version__", "cuda", "hip", "debug"):
        assert getattr(ember.version, name) == getattr(torch.version, name), name
    assert ember.version.ember == version("ember")
    with pytest.raises(TypeError):
        ember.__version__ < 3  # noqa: B015


def test_grad_scaler_disabled_on_a_cpu_build():
    for cls in ("amp", "cuda.amp"):
        def make(lib, cls=cls, **kw):
            mod = lib.amp if cls == "amp" else lib.cuda.amp
            return mod.GradScaler(**kw)

        (es, ew), (ts, tw) = warned(lambda: make(ember)), warned(lambda: make(torch))
        assert ew == tw and [c for c, _ in tw][-1] is UserWarning
        for s, lib in ((es, ember), (ts, torch)):
            w = lib.ones(1, requires_grad=True)
            opt = lib.optim.SGD([w], lr=0.5)
            loss = (w * 3).sum()
            assert s.scale(loss) is loss and not s.is_enabled()
            loss.backward()
            assert s.unscale_(opt) is None and s.step(opt) is None and s.update() is None
            assert w.item() == -0.5 and s.get_scale() == 1.0 and s.state_dict() == {}
            assert s.load_state_dict({}) is None
        (_, ew), (_, tw) = warned(lambda: make(ember, enabled=False)), \
            warned(lambda: make(torch, enabled=False))
        assert ew == tw
    same_error(lambda: ember.amp.GradScaler(enabled=False).get_growth_factor(),
               lambda: torch.amp.GradScaler(enabled=False).get_growth_factor())


def _scaled_training(lib):
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 1)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2)
    x, y = lib.randn(4, 3), lib.randn(4, 1)
    log = []
    for step in range(5):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        scaler.scale(loss).backward()
        if step == 2:
            model.weight.grad.fill_(float("inf"))
        if step == 3:
            scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        log.append((scaler.get_scale(), scaler._get_growth_tracker(),
                    model.weight.detach().numpy().copy()))
    return scaler, log


def test_grad_scaler_on_the_cpu_scales_skips_and_grows():
    (es, elog), (ts, tlog) = both(_scaled_training)
    for (escale, etrack, ew), (tscale, ttrack, tw) in zip(elog, tlog):
        assert (escale, etrack) == (tscale, ttrack)
        assert ew.ravel().tolist() == pytest.approx(tw.ravel().tolist(), rel=1e-5, abs=1e-6)
    assert es.state_dict() == ts.state_dict()
    e = ember.amp.GradScaler("cpu").scale([ember.ones(1), (ember.ones(1),)])
    t = torch.amp.GradScaler("cpu").scale([torch.ones(1), (torch.ones(1),)])
    assert type(e[1]) is type(t[1]) is tuple and e[1][0].item() == t[1][0].item() == 65536.0


def test_grad_scaler_errors():
    def twice(lib):
        s = lib.amp.GradScaler("cpu")
        w = lib.ones(1, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        s.scale(w.sum()).backward()
        s.unscale_(opt)
        s.unscale_(opt)

    same_error(lambda: twice(ember), lambda: twice(torch))
    def unscaled(lib, name):
        opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=1)
        getattr(lib.amp.GradScaler("cpu"), name)(opt)

    for name in ("unscale_", "step"):
        same_error(lambda name=name: unscaled(ember, name), lambda name=name: unscaled(torch, name))
    same_error(lambda: ember.amp.GradScaler("cpu").update(),
               lambda: torch.amp.GradScaler("cpu").update())
    same_error(lambda: ember.amp.GradScaler("cpu", growth_factor=0.5),
               lambda: torch.amp.GradScaler("cpu", growth_factor=0.5))
    same_error(lambda: ember.amp.GradScaler("cpu").load_state_dict({}),
               lambda: torch.amp.GradScaler("cpu").load_state_dict({}))


def test_autocast_on_cuda_disables_itself():
    for make in (lambda lib: lib.autocast("cuda"), lambda lib: lib.amp.autocast("cuda"),
                 lambda lib: lib.autocast(device_type="cuda", dtype=lib.float16),
                 lambda lib: lib.cuda.amp.autocast()):
        (ea, ew), (ta, tw) = warned(lambda make=make: make(ember)), \
            warned(lambda make=make: make(torch))
        assert ew == tw
        for a, lib in ((ea, ember), (ta, torch)):
            with a:
                assert lib.is_autocast_enabled() is False
                assert lib.is_autocast_enabled("cuda") is False
                assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32
    assert ember.autocast is ember.amp.autocast
    same_error(lambda: ember.autocast(3), lambda: torch.autocast(3))
    same_error(lambda: ember.autocast("foo"), lambda: torch.autocast("foo"))
    same_error(lambda: ember.is_autocast_enabled("foo"), lambda: torch.is_autocast_enabled("foo"))


def test_autocast_on_the_cpu_is_a_pass_through_that_says_so():
    (a, w) = warned(lambda: ember.autocast("cpu"))
    assert len(w) == 1 and w[0][0] is UserWarning and "ember does not autocast" in w[0][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (ember, torch):
            assert not lib.is_autocast_enabled("cpu")
            with lib.autocast("cpu", dtype=lib.float16):
                assert lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled()
                with lib.autocast("cpu", enabled=False):
                    assert not lib.is_autocast_enabled("cpu")
                assert lib.is_autocast_enabled("cpu")
            assert not lib.is_autocast_enabled("cpu")

            @lib.autocast("cpu", dtype=lib.float16)
            def inside(lib=lib):
                return lib.is_autocast_enabled("cpu")

            assert inside() is True
        with ember.autocast("cpu"):
            x = ember.ones(2, 2) @ ember.ones(2, 2)
        assert x.dtype == ember.float32
    # A dtype CPU autocast does not support disables it, with torch's warning.
    (_, ew), (_, tw) = warned(lambda: ember.autocast("cpu", dtype=ember.float64)), \
        warned(lambda: torch.autocast("cpu", dtype=torch.float64))
    assert ew == tw
    (_, ew), (_, tw) = warned(lambda: ember.cpu.amp.autocast(dtype=ember.float64)), \
        warned(lambda: torch.cpu.amp.autocast(dtype=torch.float64))
    assert ew == tw


def test_jit_runs_eagerly():
    def f(x):
        return x * 2

    m = ember.nn.Linear(2, 2)
    assert ember.jit.script(f) is f and ember.jit.script(m) is m
    assert ember.jit.trace(f, (ember.ones(2),)) is f and ember.jit.trace(m, ember.ones(1, 2)) is m
    assert ember.jit.ignore(f) is f and ember.jit.ignore(drop=True)(f) is f
    assert ember.jit.unused(f) is f and ember.jit.export(f) is f
    assert ember.jit.is_scripting() is torch.jit.is_scripting() is False
    assert ember.jit.is_tracing() is False and ember.jit.annotate(int, 3) == 3
    with pytest.raises(NotImplementedError, match="ember has no TorchScript"):
        ember.jit.save(m, "m.pt")


def test_onnx_is_importable_and_export_says_why_it_fails():
    assert ember.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="^ember cannot export to ONNX"):
        ember.onnx.export(ember.nn.Linear(2, 2), (ember.ones(2),), "model.onnx")


def test_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    assert ember.hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "home" / "hub")
    state = {"w": ember.arange(3.0)}
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    ember.save(state, model_dir / "w-1234.pt")
    url = "https://example.invalid/weights/w-1234.pt"
    got = ember.hub.load_state_dict_from_url(url, model_dir=str(model_dir))
    assert got["w"].tolist() == [0.0, 1.0, 2.0]
    (tmp_path / "home" / "hub" / "checkpoints").mkdir(parents=True)
    ember.save(state, tmp_path / "home" / "hub" / "checkpoints" / "x.pt")
    got = ember.hub.load_state_dict_from_url("https://example.invalid/x.pt?a=1")
    assert got["w"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(URLError, match="ember does not download files"):
        ember.hub.load_state_dict_from_url("https://example.invalid/missing.pth")
    try:
        ember.hub.set_dir(str(tmp_path / "elsewhere"))
        assert ember.hub.get_dir() == str(tmp_path / "elsewhere")
    finally:
        ember.hub._hub_dir[0] = None


def test_random_module():
    for lib in (ember, torch):
        lib.random.manual_seed(3)
        with lib.random.fork_rng():
            lib.rand(2)
        assert lib.random.initial_seed() == 3
    ember.manual_seed(3)
    torch.manual_seed(3)
    assert ember.rand(3).tolist() == torch.rand(3).tolist()


def _custom_function(lib, cast_inputs, region):
    seen = []

    class Scale(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, x):
            seen.append((str(x.dtype), lib.is_autocast_enabled("cpu")))
            return x * 2

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen.append(("bwd", lib.is_autocast_enabled("cpu")))
            return g * 2

    x = lib.ones(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autocast("cpu", dtype=lib.float16, enabled=region):
            y = Scale.apply(x)
        y.float().sum().backward()
    return seen, str(y.dtype), x.grad.tolist()


@pytest.mark.parametrize("cast_inputs", [None, "float16"])
@pytest.mark.parametrize("region", [True, False])
def test_custom_fwd_and_bwd(cast_inputs, region):
    e, t = both(lambda lib: _custom_function(
        lib, cast_inputs and getattr(lib, cast_inputs), region))
    assert e == t
    assert ember.get_autocast_dtype("cuda") == ember.float16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.autocast("cpu", dtype=ember.float16):
            assert ember.get_autocast_dtype("cpu") == ember.float16
    same_error(lambda: ember.amp.custom_fwd(device_type=3), lambda: torch.amp.custom_fwd(
        device_type=3))
    (_, ew), (_, tw) = warned(lambda: ember.cuda.amp.custom_fwd(lambda ctx: 0)), \
        warned(lambda: torch.cuda.amp.custom_fwd(lambda ctx: 0))
    assert ew == tw


LAYERS = {
    "Linear": lambda nn, d: nn.Linear(2, 3, device=d),
    "Bilinear": lambda nn, d: nn.Bilinear(2, 2, 3, device=d),
    "Conv2d": lambda nn, d: nn.Conv2d(1, 2, 3, device=d),
    "ConvTranspose1d": lambda nn, d: nn.ConvTranspose1d(1, 2, 3, device=d),
    "BatchNorm1d": lambda nn, d: nn.BatchNorm1d(2, device=d),
    "LayerNorm": lambda nn, d: nn.LayerNorm(2, device=d),
    "GroupNorm": lambda nn, d: nn.GroupNorm(1, 2, device=d),
    "InstanceNorm1d": lambda nn, d: nn.InstanceNorm1d(2, device=d),
    "Embedding": lambda nn, d: nn.Embedding(3, 2, device=d),
    "LSTM": lambda nn, d: nn.LSTM(2, 3, device=d),
    "GRUCell": lambda nn, d: nn.GRUCell(2, 3, device=d),
    "MultiheadAttention": lambda nn, d: nn.MultiheadAttention(4, 2, device=d),
    "PReLU": lambda nn, d: nn.PReLU(device=d),
}


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dev", ["cuda", "cuda:0", "cpu"])
def test_layers_built_on_a_device_do_what_a_cpu_only_torch_does(layer, dev):
    # A layer asked for CUDA weights must not silently build them on the CPU.
    make = LAYERS[layer]
    try:
        make(torch.nn, dev)
    except Exception as t_err:  # noqa: BLE001
        with pytest.raises(type(t_err)) as e_err:
            make(ember.nn, dev)
        assert str(e_err.value) == str(t_err)
    else:
        make(ember.nn, dev)

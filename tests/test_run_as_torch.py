"""`python -m ember prog.py`, `-m module`, `-c code` and `ember.install_as_torch()`: a torch
program's own `import torch...` lines run on ember, and real torch is never loaded."""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import ember

SRC = str(Path(ember.__file__).resolve().parent.parent)
TORCH_DIR = str(Path(torch.__file__).resolve().parent)

PROGRAM = """\
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch import optim
import torch.backends.cudnn as cudnn

torch.manual_seed(0)
cudnn.benchmark = True
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).to(device)
data = TensorDataset(torch.randn(16, 3), torch.randn(16, 1))
opt = optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    for x, y in DataLoader(data, batch_size=4, shuffle=True):
        loss = F.mse_loss(model(x.to(device)), y.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.6f}")
print("version", torch.__version__ >= "2.2", torch.version.cuda)
"""

REPORT = """\
import os, sys
real = sorted(n for n, m in sys.modules.items()
              if (getattr(m, "__file__", None) or "").startswith(os.environ["TORCH_DIR"]))
print("real torch modules:", real)
print("argv", sys.argv, "name", __name__, "file", globals().get("__file__"))
print("same", sys.modules["torch"] is sys.modules["ember"],
      sys.modules["torch.nn"] is sys.modules["ember"].nn)
sys.exit(int(sys.argv[-1]) if sys.argv[-1].isdigit() else 0)
"""


def run_ember(args, cwd, check_rc=None):
    env = dict(os.environ, PYTHONPATH=SRC, TORCH_DIR=TORCH_DIR)
    p = subprocess.run([sys.executable, "-m", "ember", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    if check_rc is not None:
        assert p.returncode == check_rc, p.stderr
    return p


def test_program_runs_on_ember_without_real_torch(tmp_path):
    prog = tmp_path / "train.py"
    prog.write_text(PROGRAM + REPORT)
    p = run_ember([str(prog), "--flag", "7"], cwd=tmp_path, check_rc=7)
    lines = p.stdout.splitlines()
    assert "real torch modules: []" in lines
    assert f"argv [{str(prog)!r}, '--flag', '7'] name __main__ file {str(prog)}" in lines
    assert "same True True" in lines
    # The same program under real torch prints the same losses.
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(_write(tmp_path / "plain.py", PROGRAM), run_name="__main__")
    assert lines[:3] == out.getvalue().splitlines()
    assert lines[2] == "version True None"


# A program on the samplers, schedulers, averaging and parametrizations torch adds to the
# basics: it prints what it prints under torch.
SAMPLERS_AND_AVERAGES = """\
import torch
import torch.nn as nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import orthogonal
from torch.nn.utils.parametrizations import spectral_norm as sn
from torch.optim.lr_scheduler import CyclicLR
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import (ChainDataset, DataLoader, DistributedSampler, StackDataset,
                              TensorDataset, WeightedRandomSampler)

torch.manual_seed(0)
ds = TensorDataset(torch.randn(40, 4), torch.randint(0, 2, (40,)))
sampler = WeightedRandomSampler(torch.rand(40), 40)
loader = DataLoader(ds, batch_size=8, sampler=sampler)
net = nn.Sequential(sn(nn.Linear(4, 8)), nn.BatchNorm1d(8), nn.ReLU(),
                    orthogonal(nn.Linear(8, 8)), nn.Linear(8, 2))
nn.init.xavier_uniform_(net[4].weight)
ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.9))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
sched = CyclicLR(opt, 0.01, 0.1, step_size_up=3)
for epoch in range(2):
    for x, y in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        sched.step()
        ema.update_parameters(net)
update_bn(loader, ema)
print(round(loss.item(), 4), [round(v, 4) for v in sched.get_last_lr()])
print(list(DistributedSampler(ds, num_replicas=4, rank=1))[:5])
opt2 = torch.optim.Rprop(net.parameters())
swa = SWALR(opt2, swa_lr=0.01)
print(swa.get_last_lr(), parametrize.is_parametrized(net[3]))
"""


def test_program_on_samplers_schedulers_and_parametrizations(tmp_path):
    p = run_ember([_write(tmp_path / "swa.py", SAMPLERS_AND_AVERAGES)], cwd=tmp_path,
                  check_rc=0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(_write(tmp_path / "plain.py", SAMPLERS_AND_AVERAGES),
                       run_name="__main__")
    assert p.stdout == out.getvalue()
    assert len(p.stdout.splitlines()) == 3


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_dash_m_and_dash_c(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "main.py").write_text("import torch.nn.functional as F\n" + REPORT)
    p = run_ember(["-m", "pkg.main", "a", "3"], cwd=tmp_path, check_rc=3)
    assert "real torch modules: []" in p.stdout
    assert f"argv [{str(pkg / 'main.py')!r}, 'a', '3'] name __main__ file " \
           f"{pkg / 'main.py'}" in p.stdout
    code = "import torch.nn as nn, torch.optim as optim\n" + REPORT
    p = run_ember(["-c", code, "x", "5"], cwd=tmp_path, check_rc=5)
    assert "real torch modules: []" in p.stdout
    assert "argv ['-c', 'x', '5'] name __main__ file None" in p.stdout
    assert "same True True" in p.stdout


def test_errors_tracebacks_and_exit_codes(tmp_path):
    prog = _write(tmp_path / "bad.py", textwrap.dedent("""\
        import torch

        def step():
            raise ValueError("boom")

        step()
        """))
    p = run_ember([prog], cwd=tmp_path, check_rc=1)
    assert p.stderr.splitlines() == [
        "Traceback (most recent call last):",
        f'  File "{prog}", line 6, in <module>', "    step()",
        f'  File "{prog}", line 4, in step', '    raise ValueError("boom")',
        "ValueError: boom"]
    (tmp_path / "site-packages").mkdir()
    (tmp_path / "site-packages" / "fakepkg.py").write_text("import torch._C\n")
    (tmp_path / "helper.py").write_text("import torch._C\n")
    code = ("import sys\ntry:\n    import torch.distributed\nexcept ModuleNotFoundError as e:\n"
            "    print(e.name, '|', e)\n"
            "sys.path.append('site-packages')\n"
            "for name in ('fakepkg', 'helper'):\n    try:\n        __import__(name)\n"
            "    except ModuleNotFoundError as e:\n        print(e)\n"
            "try:\n    import torchvision\nexcept ImportError as e:\n    print(e.name, '|', e)\n"
            "import torch.utils.tensorboard\n")
    p = run_ember(["-c", code], cwd=tmp_path, check_rc=1)
    assert p.stdout.splitlines() == [
        "torch.distributed | ember has no torch.distributed: see ember's docs/migration.md for "
        "what ember covers",
        "ember has no torch._C (imported by fakepkg, a package built on torch): see ember's "
        "docs/migration.md for what ember covers",
        "ember has no torch._C: see ember's docs/migration.md for what ember covers",
        "torchvision | torchvision is built on torch and cannot run under ember: `torch` is "
        "ember here, and torchvision needs torch's C++ core; run this program with torch "
        "itself"]
    # torch raises the same error without the tensorboard package.
    assert p.stderr.splitlines()[-1] == "ModuleNotFoundError: No module named 'tensorboard'"
    assert "ember/__main__.py" not in p.stderr and "runpy" not in p.stderr


def test_usage_errors(tmp_path, capsys):
    from ember.__main__ import main

    assert main([str(tmp_path / "missing.py")]) == 2
    assert capsys.readouterr().err == (f"{sys.executable}: can't open file "
                                       f"{str(tmp_path / 'missing.py')!r}: [Errno 2] No such "
                                       "file or directory\n")
    assert main([]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m ember prog.py [arg ...]\n")
    assert main(["-m"]) == 2 and main(["-x"]) == 2
    assert capsys.readouterr().err.splitlines()[::5] == [
        "Argument expected for the -m option", "Unknown option: -x"]
    assert main(["--help"]) == 0 and capsys.readouterr().out.startswith("usage:")


def test_install_as_torch_in_a_running_interpreter(tmp_path):
    code = textwrap.dedent("""\
        import sys, ember
        ember.install_as_torch()
        ember.install_as_torch()
        import torch, torch.nn as nn, torch.cuda.amp
        from torch.utils.data import DataLoader
        from packaging.version import parse
        assert torch is ember and nn is ember.nn and torch.cuda.amp is ember.cuda.amp
        assert DataLoader is ember.utils.data.DataLoader
        assert torch.nn.__spec__.name == "ember.nn"
        assert parse(torch.__version__) >= parse("2.2")
        assert torch.version.ember == ember.version.ember
        import pickle
        # Class paths in torch pickles resolve to ember's classes.
        assert pickle.loads(b"ctorch.nn.modules.module\\nModule\\n.") is ember.nn.Module
        print(sum(1 for f in sys.meta_path if type(f).__name__ == "TorchAliasFinder"))
        """)
    env = dict(os.environ, PYTHONPATH=SRC)
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "1\n"


def test_install_as_torch_refuses_when_real_torch_is_loaded():
    assert "torch" in sys.modules
    with pytest.raises(RuntimeError, match=r"^install_as_torch\(\): real torch is already "
                       r"imported \(.*torch.*\); call it before anything imports torch"):
        ember.install_as_torch()
    assert not any(type(f).__name__ == "TorchAliasFinder" for f in sys.meta_path)

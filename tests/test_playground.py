"""The playground page (docs/playground) in headless Chromium: Pyodide 0.27.7, its NumPy and
ember's wheel built from this checkout run the tutorial, which prints what it prints under
CPython, and the page draws its graph and explains its gradients.

Needs node's npm (Pyodide's core comes from the npm package pyodide@0.27.7, installed into
.cache/ beside the repository), Chromium, and Pyodide's NumPy wheel, which the npm package
does not ship: EMBER_PYODIDE_NUMPY_WHEEL names it, else it is looked for in ../shared/pyodide/
beside the repository. Without one of them the test skips, saying which; with
EMBER_PLAYGROUND_REQUIRED=1 (as CI sets) it fails instead.
"""

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import ember
from ember.autograd import explain

ROOT = Path(__file__).resolve().parent.parent
PYODIDE_VERSION = "0.27.7"
NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
CACHE = ROOT / ".cache" / f"pyodide-{PYODIDE_VERSION}"
BROWSER_LIMIT_S = 60


def _missing(what: str) -> None:
    if os.environ.get("EMBER_PLAYGROUND_REQUIRED") == "1":
        pytest.fail(f"the playground test cannot run: {what}")
    pytest.skip(f"the playground test needs {what}")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _numpy_wheel() -> tuple[Path | None, str]:
    """Pyodide's NumPy wheel, or None and where it was looked for."""
    named = os.environ.get("EMBER_PYODIDE_NUMPY_WHEEL")
    if named:
        where = f"{named}, which EMBER_PYODIDE_NUMPY_WHEEL names"
        path = Path(named)
    else:
        path = ROOT.parent / "shared" / "pyodide" / NUMPY_WHEEL
        where = f"{path} (or set EMBER_PYODIDE_NUMPY_WHEEL to its path)"
    return (path if path.is_file() else None), where


def _pyodide(npm: str) -> Path:
    """Pyodide's core from npm, installed once into the cache folder."""
    folder = CACHE / "node_modules" / "pyodide"
    if not (folder / "pyodide.asm.wasm").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE),
             f"pyodide@{PYODIDE_VERSION}"], capture_output=True, text=True, timeout=300)
        if proc.returncode or not (folder / "pyodide.asm.wasm").is_file():
            _missing(f"the npm package pyodide@{PYODIDE_VERSION}, which npm could not "
                     f"install: {proc.stderr.strip()[-500:]}")
    return folder


def _build_wheel(out: Path) -> Path:
    """ember's wheel, built from a copy of the checkout so that the build leaves nothing in
    the source tree."""
    tree = out / "tree"
    shutil.copytree(ROOT / "src", tree / "src", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(out / "dist"), str(tree)],
                   check=True, capture_output=True, timeout=120)
    (wheel,) = (out / "dist").glob("ember-*.whl")
    return wheel


def _site(out: Path, pyodide: Path, numpy_wheel: Path, ember_wheel: Path) -> Path:
    """The folder served: the page, ember's wheel, and Pyodide with NumPy's wheel beside
    it (where loadPackage("numpy") looks)."""
    site = out / "site"
    shutil.copytree(ROOT / "docs" / "playground", site)
    shutil.copy(ember_wheel, site / "ember.whl")
    (site / "pyodide").mkdir()
    for name in ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json"):
        (site / "pyodide" / name).symlink_to(pyodide / name)
    (site / "pyodide" / NUMPY_WHEEL).symlink_to(numpy_wheel)
    return site


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _serve(site: Path, reports: list, done: threading.Event) -> _Server:
    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                          ".wasm": "application/wasm", ".js": "text/javascript"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reports.append(json.loads(body))
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _cpython_run(code: str) -> tuple[str, dict]:
    """What the tutorial prints under CPython after manual_seed(0), and its variables."""
    namespace = {"__name__": "__main__"}
    printed = io.StringIO()
    ember.manual_seed(0)
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "autograd_tutorial.py", "exec"), namespace)
    return printed.getvalue(), namespace


def test_tutorial_runs_in_the_browser_as_under_cpython(tmp_path):
    npm, chromium = shutil.which("npm"), _chromium()
    numpy_wheel, where = _numpy_wheel()
    missing = [what for what, have in (
        ("node's npm (to install Pyodide's core from npm)", npm),
        ("Chromium (Debian's chromium package)", chromium),
        (f"Pyodide's NumPy wheel {NUMPY_WHEEL}, not found at {where}", numpy_wheel))
        if not have]
    if missing:
        _missing(" and ".join(missing))
    pyodide = _pyodide(npm)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    assert hashlib.sha256(numpy_wheel.read_bytes()).hexdigest() == \
        lock["packages"]["numpy"]["sha256"], f"{numpy_wheel} is not the NumPy Pyodide locks"

    site = _site(tmp_path, pyodide, numpy_wheel, _build_wheel(tmp_path))
    reports, done = [], threading.Event()
    server = _serve(site, reports, done)
    url = (f"http://127.0.0.1:{server.server_address[1]}/index.html?autorun=1"
           "&pyodide=pyodide/&report=/report")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
         url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    try:
        finished = done.wait(BROWSER_LIMIT_S)
    finally:
        browser.kill()
        _, stderr = browser.communicate()
        server.shutdown()
        server.server_close()
    assert finished, (f"the page reported nothing within {BROWSER_LIMIT_S} s; Chromium said: "
                      f"{stderr.decode(errors='replace')[-2000:]}")
    print(f"browser run: {time.monotonic() - started:.1f} s")
    (result,) = reports
    assert "error" not in result, result["error"]

    code = (ROOT / "examples" / "autograd_tutorial.py").read_text(encoding="utf-8")
    expected, namespace = _cpython_run(code)
    # Node reprs show object addresses, which differ between the two interpreters.
    addresses = re.compile(r" object at 0x[0-9a-f]+>")
    assert addresses.sub(" object at ...>", result["output"]) == \
        addresses.sub(" object at ...>", expected)
    svg = result["graph"]
    assert svg.startswith("<svg") or svg.startswith("<?xml"), svg[:200]
    assert "BinaryCrossEntropyWithLogitsBackward0" in svg
    assert "AccumulateGrad" in svg
    assert result["explain"] == str(explain(namespace["loss"], {
        name: namespace[name] for name in ("w", "b", "x")}))

"""The playground page (docs/playground) with what it loads: ember's wheel built from this
checkout, and, offline, Pyodide's core from the npm package pyodide@0.27.7 with Pyodide's NumPy
wheel beside it. Its test, the docs site and the screenshot in the docs use it.

    python scripts/playground_site.py wheel site/playground/ember.whl
    python scripts/playground_site.py screenshot docs/images/playground.png

The NumPy wheel (which the npm package does not ship) is the file EMBER_PYODIDE_NUMPY_WHEEL
names, else ../shared/pyodide/<its name> beside the repository; npm installs Pyodide once into
.cache/ at the repository root.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "playground"
PYODIDE_VERSION = "0.27.7"
NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
CACHE = ROOT / ".cache" / f"pyodide-{PYODIDE_VERSION}"
_PYODIDE_FILES = ("pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                  "pyodide-lock.json")


class Missing(Exception):
    """Something the page needs offline is not on this machine; the message says what."""


def chromium() -> str | None:
    """The path of a Chromium (or Chrome) program, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def numpy_wheel() -> tuple[Path | None, str]:
    """Pyodide's NumPy wheel, or None, and where it was looked for."""
    named = os.environ.get("EMBER_PYODIDE_NUMPY_WHEEL")
    if named:
        path, where = Path(named), f"{named}, which EMBER_PYODIDE_NUMPY_WHEEL names"
    else:
        path = ROOT.parent / "shared" / "pyodide" / NUMPY_WHEEL
        where = f"{path} (or set EMBER_PYODIDE_NUMPY_WHEEL to its path)"
    return (path if path.is_file() else None), where


def missing() -> list[str]:
    """What of npm, Chromium and Pyodide's NumPy wheel this machine lacks, in words."""
    wheel, where = numpy_wheel()
    return [what for what, have in (
        ("node's npm (to install Pyodide's core from npm)", shutil.which("npm")),
        ("Chromium (Debian's chromium package)", chromium()),
        (f"Pyodide's NumPy wheel {NUMPY_WHEEL}, not found at {where}", wheel)) if not have]


def pyodide_core() -> Path:
    """Pyodide's core from npm, installed once into the cache folder."""
    folder = CACHE / "node_modules" / "pyodide"
    if not (folder / "pyodide.asm.wasm").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [shutil.which("npm") or "npm", "install", "--no-audit", "--no-fund", "--prefix",
             str(CACHE), f"pyodide@{PYODIDE_VERSION}"],
            capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode or not (folder / "pyodide.asm.wasm").is_file():
            raise Missing(f"the npm package pyodide@{PYODIDE_VERSION}, which npm could not "
                          f"install: {proc.stderr.strip()[-500:]}")
    return folder


def checked_numpy_wheel(pyodide: Path) -> Path:
    """The NumPy wheel, after checking that it is the one this Pyodide's lock file names."""
    wheel, where = numpy_wheel()
    if wheel is None:
        raise Missing(f"Pyodide's NumPy wheel {NUMPY_WHEEL}, not found at {where}")
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != lock["packages"]["numpy"]["sha256"]:
        raise ValueError(f"{wheel} is not the NumPy wheel of Pyodide {PYODIDE_VERSION}: its "
                         "sha256 differs from pyodide-lock.json's")
    return wheel


def build_wheel(dest: Path) -> Path:
    """Builds ember's wheel into the file `dest`, from a copy of the checkout so that the
    build leaves nothing in the source tree."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(ROOT / "src", tree / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, tree / name)
        # Without setuptools here, pip fetches it into an isolated build environment.
        isolation = [] if importlib.util.find_spec("setuptools") is None else [
            "--no-build-isolation"]
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                               *isolation, "-w", str(Path(tmp) / "dist"), str(tree)],
                              capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode:
            raise RuntimeError(f"building ember's wheel failed:\n{proc.stderr}")
        (wheel,) = (Path(tmp) / "dist").glob("ember-*.whl")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(wheel, dest)
    return dest


def assemble(folder: Path) -> Path:
    """Lays out the page in `folder/site` as it is served offline: the page, ember's wheel as
    ember.whl, and Pyodide in pyodide/ with NumPy's wheel beside it (where
    loadPackage("numpy") looks). Returns the site folder."""
    pyodide = pyodide_core()
    numpy = checked_numpy_wheel(pyodide)
    site = folder / "site"
    shutil.copytree(PAGE, site)
    build_wheel(site / "ember.whl")
    (site / "pyodide").mkdir()
    for name in _PYODIDE_FILES:
        (site / "pyodide" / name).symlink_to(pyodide / name)
    (site / "pyodide" / NUMPY_WHEEL).symlink_to(numpy)
    return site


class Server(ThreadingHTTPServer):
    """Serves a site folder on 127.0.0.1; the page POSTs its run's result to /report, which
    lands in `reports` and sets `reported`."""

    daemon_threads = True

    def __init__(self, site: Path) -> None:
        self.reports: list = []
        self.reported = threading.Event()
        server = self

        class Handler(SimpleHTTPRequestHandler):
            extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                              ".wasm": "application/wasm", ".js": "text/javascript"}

            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(site), **kwargs)

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.reports.append(json.loads(body))
                self.send_response(204)
                self.end_headers()
                server.reported.set()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, query: str = "autorun=1&pyodide=pyodide/&report=/report") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/index.html?{query}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def browser_args(profile: Path, width: int = 1400, height: int = 1000) -> list[str]:
    """Headless Chromium's command line, less the URL (no sandbox: CI runs as root)."""
    return [chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--hide-scrollbars",
            f"--window-size={width},{height}", f"--user-data-dir={profile}"]


class _DevTools:
    """Chromium's DevTools protocol over --remote-debugging-pipe: JSON messages ended by NUL
    on the child's file descriptors 3 (commands) and 4 (replies and events)."""

    def __init__(self, args: list[str], url: str) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        # Copies above 4 first, so that putting one end on 3 or 4 cannot close the other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 5) for fd in (to_child, from_child)]

        def ends_on_3_and_4() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        # The child closes what pass_fds does not name after ends_on_3_and_4 ran.
        self._proc = subprocess.Popen(
            [*args, "--remote-debugging-pipe", url], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(3, 4, *high), preexec_fn=ends_on_3_and_4)
        for fd in {*high, to_child, from_child}:
            os.close(fd)
        self._buffer, self._id = b"", 0

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the DevTools pipe during {method}")
                self._buffer += chunk
            line, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(line)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()
        os.close(self._write)
        os.close(self._read)


def screenshot(png: Path, timeout: float = 120) -> None:
    """Writes a PNG of the page after it ran the tutorial."""
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(assemble(Path(tmp)))
        devtools = _DevTools(browser_args(Path(tmp) / "profile", 1400, 1050), server.url())
        try:
            if not server.reported.wait(timeout):
                raise RuntimeError(f"the page reported nothing within {timeout} s")
            if "error" in server.reports[0]:
                raise RuntimeError(server.reports[0]["error"])
            (page,) = [t for t in devtools.call("Target.getTargets")["targetInfos"]
                       if t["type"] == "page"]
            session = devtools.call("Target.attachToTarget", targetId=page["targetId"],
                                    flatten=True)["sessionId"]
            data = devtools.call("Page.captureScreenshot", session, format="png")["data"]
        finally:
            devtools.close()
            server.close()
    png.write_bytes(base64.b64decode(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("wheel", help="build ember's wheel as DEST").add_argument("dest", type=Path)
    sub.add_parser("screenshot", help="the page after Run, as a PNG").add_argument(
        "png", type=Path)
    args = parser.parse_args()
    if args.command == "wheel":
        build_wheel(args.dest)
    else:
        lacking = missing()
        if lacking:
            sys.exit("a screenshot needs " + " and ".join(lacking))
        screenshot(args.png)


if __name__ == "__main__":
    main()

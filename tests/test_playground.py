"""The playground page (docs/playground) in headless Chromium: Pyodide 0.27.7, its NumPy and
ember's wheel built from this checkout run the tutorial, which prints what it prints under
CPython, and the page draws its graph and explains its gradients.

Needs node's npm, Chromium and Pyodide's NumPy wheel (scripts/playground_site.py says where
each comes from); without one of them the test skips, saying which, and with
EMBER_PLAYGROUND_REQUIRED=1 (as CI sets) it fails instead.
"""

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ember
from ember.autograd import explain

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import playground_site  # noqa: E402

BROWSER_LIMIT_S = 60


def _cannot_run(what: str) -> None:
    if os.environ.get("EMBER_PLAYGROUND_REQUIRED") == "1":
        pytest.fail(f"the playground test cannot run without {what}")
    pytest.skip(f"the playground test needs {what}")


def _cpython_run(code: str) -> tuple[str, dict]:
    """What the tutorial prints under CPython after manual_seed(0), and its variables."""
    namespace = {"__name__": "__main__"}
    printed = io.StringIO()
    ember.manual_seed(0)
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "autograd_tutorial.py", "exec"), namespace)
    return printed.getvalue(), namespace


def test_tutorial_runs_in_the_browser_as_under_cpython(tmp_path):
    lacking = playground_site.missing()
    if lacking:
        _cannot_run(" and ".join(lacking))
    try:
        site = playground_site.assemble(tmp_path)
    except playground_site.Missing as e:
        _cannot_run(str(e))
    server = playground_site.Server(site)
    browser = subprocess.Popen(
        [*playground_site.browser_args(tmp_path / "profile"), server.url()],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    try:
        finished = server.reported.wait(BROWSER_LIMIT_S)
    finally:
        browser.kill()
        _, stderr = browser.communicate()
        server.close()
    assert finished, (f"the page reported nothing within {BROWSER_LIMIT_S} s; Chromium said: "
                      f"{stderr.decode(errors='replace')[-2000:]}")
    print(f"browser run: {time.monotonic() - started:.1f} s")
    (result,) = server.reports
    assert "error" not in result, result["error"]

    code = (ROOT / "examples" / "autograd_tutorial.py").read_text(encoding="utf-8")
    expected, namespace = _cpython_run(code)
    # Node reprs show object addresses, which differ between the two interpreters.
    addresses = re.compile(r" object at 0x[0-9a-f]+>")
    assert addresses.sub(" object at ...>", result["output"]) == \
        addresses.sub(" object at ...>", expected)
    svg = result["graph"]
    # Drawn by ember.viz's own layout: a browser has no Graphviz.
    assert "<svg " in svg and svg.rstrip().endswith("</svg>"), svg[:200]
    assert "graphviz" not in svg.lower()
    assert "BinaryCrossEntropyWithLogitsBackward0" in svg
    assert "AccumulateGrad" in svg
    assert result["explain"] == str(explain(namespace["loss"], {
        name: namespace[name] for name in ("w", "b", "x")}))


# Each example with the graph and the explanation the page asks of it by default (as
# playground.js lists them), and a line its output must hold.
_EXAMPLES = {
    "autograd_tutorial.py": ("loss", "loss", "w, b, x", "Call after zeroing gradients"),
    "mlp_step.py": ("loss", "loss", "model[0].weight, x", "loss after the step:"),
    "no_grad_detach.py": ("loss", "loss", "w, u, x", "False None"),
    "retain_graph.py": ("y", "y", "x", "RuntimeError: Trying to backward through the graph"),
}

_RUN_EXAMPLES = """
import json, sys
sys.path.insert(0, sys.argv[1])
from runner import run_playground
cases = json.loads(sys.argv[2])
print(json.dumps({name: json.loads(run_playground(
    open(f"{sys.argv[1]}/examples/{name}", encoding="utf-8").read(), g, e, i, True))
    for name, (g, e, i, _) in cases.items()}))
"""


def test_every_example_runs_in_the_page_runner_without_errors():
    """The page's Python side under CPython (in a child process: it installs ember as torch),
    for the examples the browser test does not run."""
    listed = (ROOT / "docs" / "playground" / "playground.js").read_text(encoding="utf-8")
    for name, (graph, output, inputs, _) in _EXAMPLES.items():
        assert (f'file: "{name}"' in listed and f'graph: "{graph}", explainOf: "{output}", '
                f'inputs: "{inputs}"' in listed), name
    page = ROOT / "docs" / "playground"
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_EXAMPLES, str(page), json.dumps(_EXAMPLES)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    for name, (*_, line) in _EXAMPLES.items():
        result = results[name]
        assert "Traceback" not in result["output"], result["output"]
        assert line in result["output"], result["output"]
        assert "graph_error" not in result and "explain_error" not in result, result
        assert "AccumulateGrad" in result["graph"], name
        verdicts = [line.split(": ")[0] for line in result["explain"].splitlines()
                    if not line.startswith(" ")]
        assert verdicts == [i.strip() for i in _EXAMPLES[name][2].split(",")], result

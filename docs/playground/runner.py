"""The playground's Python side, run by Pyodide once ember is installed: runs the editor's code
as a program, then draws the autograd graph of a chosen tensor and explains its gradients."""

import contextlib
import io
import json
import traceback

import ember
import ember.viz
from ember.autograd import explain

# The playground runs torch programs as they are written: `import torch` gives ember.
ember.install_as_torch()


def _leaf_names(namespace: dict) -> dict:
    """Names for the graph's leaves: the program's tensor variables and its modules'
    parameters (as model.named_parameters() names them, prefixed by the variable)."""
    names = {}
    for var, value in namespace.items():
        if var.startswith("_"):
            continue
        if isinstance(value, ember.nn.Module):
            for pname, p in value.named_parameters():
                names[f"{var}.{pname}"] = p
        elif isinstance(value, ember.Tensor) and value.requires_grad and value.grad_fn is None:
            names[var] = value
    return names


def _error_text(exc: BaseException, skip: int) -> str:
    """The traceback Python would print, without the playground's own `skip` frames."""
    tb = exc.__traceback__
    for _ in range(skip):
        tb = tb.tb_next if tb is not None else None
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _evaluate(expression: str, namespace: dict):
    return eval(compile(expression, "<playground>", "eval"), namespace)


def _graph(expression: str, namespace: dict) -> str:
    expression = expression.strip()
    if not expression:
        return ""
    tensor = _evaluate(expression, namespace)
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"{expression} is a {type(tensor).__name__}, not a tensor")
    picture = ember.viz.draw(tensor, params=_leaf_names(namespace))
    return picture.pipe("svg").decode("utf-8")


def _explain(output: str, inputs: str, namespace: dict) -> str:
    output, names = output.strip(), [n.strip() for n in inputs.split(",") if n.strip()]
    if not output or not names:
        return ""
    return str(explain(_evaluate(output, namespace),
                       {name: _evaluate(name, namespace) for name in names}))


def run_playground(code: str, graph_of: str, explain_of: str, explain_inputs: str,
                   seed: bool) -> str:
    """Runs `code` as the program `__main__` (after manual_seed(0) when `seed`), then draws
    the graph of the expression `graph_of` and explains, for each comma-separated expression
    of `explain_inputs`, whether backward() from `explain_of` fills its .grad. Returns JSON:
    the printed output, the SVG, the explanation, and the error text of each part."""
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    printed = io.StringIO()
    if seed:
        ember.manual_seed(0)
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        try:
            exec(compile(code, "<playground>", "exec"), namespace)
        except BaseException as exc:  # SystemExit too: a program's exit ends only its run
            # One frame of this function before the program's own.
            printed.write(_error_text(exc, 1))
    result = {"output": printed.getvalue()}
    for key, part in (("graph", lambda: _graph(graph_of, namespace)),
                      ("explain", lambda: _explain(explain_of, explain_inputs, namespace))):
        try:
            result[key] = part()
        except Exception as exc:
            result[key] = ""
            result[key + "_error"] = "".join(traceback.format_exception_only(type(exc), exc))
    return json.dumps(result)

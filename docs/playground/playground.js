// The playground: loads Pyodide, NumPy and ember's wheel, then runs the editor's program and
// shows its output, the autograd graph of a chosen tensor and explain()'s report.
//
// Query parameters: pyodide=URL of a folder holding Pyodide and NumPy's wheel (default:
// Pyodide's CDN), wheel=URL of ember's wheel (default: ember.whl beside this page),
// example=file name of an example to show first, autorun=1 to run it once loaded, and
// report=URL to POST the run's result to as JSON (how the tests read it).
"use strict";

const PYODIDE_VERSION = "0.27.7";
const EXAMPLES = [
  { file: "autograd_tutorial.py", title: "The autograd tutorial",
    graph: "loss", explainOf: "loss", inputs: "w, b, x" },
  { file: "mlp_step.py", title: "A tiny MLP: one training step",
    graph: "loss", explainOf: "loss", inputs: "model[0].weight, x" },
  { file: "no_grad_detach.py", title: "no_grad() and detach()",
    graph: "loss", explainOf: "loss", inputs: "w, u, x" },
  { file: "retain_graph.py", title: "retain_graph and accumulating gradients",
    graph: "y", explainOf: "y", inputs: "x" },
];

const params = new URLSearchParams(location.search);
const pyodideURL = withSlash(params.get("pyodide") ||
  `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`);
const wheelURL = params.get("wheel") || "ember.whl";
const $ = (id) => document.getElementById(id);

function withSlash(url) {
  return url.endsWith("/") ? url : url + "/";
}

function setStatus(text) {
  $("status").textContent = text;
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`could not fetch ${response.url}: HTTP ${response.status}`);
  }
  return response;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(script);
  });
}

async function startPython() {
  await loadScript(pyodideURL + "pyodide.js");
  const pyodide = await loadPyodide({ indexURL: pyodideURL });
  setStatus("Loading NumPy…");
  // loadPackage's promise resolves even when a fetch fails: collect the errors instead.
  const errors = [];
  await pyodide.loadPackage("numpy", { messageCallback: () => {},
                                       errorCallback: (m) => errors.push(m) });
  if (errors.length) {
    throw new Error("loading NumPy failed: " + errors.join("; "));
  }
  setStatus("Loading ember…");
  const wheel = await (await fetchOk(wheelURL)).arrayBuffer();
  pyodide.unpackArchive(wheel, "wheel");
  pyodide.runPython(await (await fetchOk("runner.py")).text());
  return pyodide.globals.get("run_playground");
}

async function showExample(example) {
  $("code").value = await (await fetchOk("examples/" + example.file)).text();
  $("graph-of").value = example.graph;
  $("explain-of").value = example.explainOf;
  $("explain-inputs").value = example.inputs;
}

function show(result) {
  $("output").textContent = result.output;
  const graph = $("graph");
  if (result.graph_error) {
    graph.innerHTML = "";
    const pre = document.createElement("pre");
    pre.className = "error";
    pre.textContent = result.graph_error;
    graph.appendChild(pre);
  } else {
    // The SVG is ember.viz's own drawing: text it holds is escaped there.
    graph.innerHTML = result.graph;
  }
  const explain = $("explain");
  explain.textContent = result.explain_error || result.explain;
  explain.className = result.explain_error ? "error" : "";
}

async function run(runPlayground) {
  $("run").disabled = true;
  setStatus("Running…");
  // Let the browser paint the status before Python holds the thread.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const started = performance.now();
  const result = JSON.parse(runPlayground($("code").value, $("graph-of").value,
    $("explain-of").value, $("explain-inputs").value, $("seed").checked));
  show(result);
  setStatus(`Ran in ${Math.round(performance.now() - started)} ms`);
  $("run").disabled = false;
  return result;
}

async function report(result) {
  const url = params.get("report");
  if (url) {
    await fetch(url, { method: "POST", body: JSON.stringify(result) });
  }
}

async function main() {
  const select = $("example");
  for (const example of EXAMPLES) {
    select.add(new Option(example.title, example.file));
  }
  const first = EXAMPLES.find((e) => e.file === params.get("example")) || EXAMPLES[0];
  select.value = first.file;
  select.addEventListener("change", () =>
    showExample(EXAMPLES.find((e) => e.file === select.value)));
  $("code").addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      document.execCommand("insertText", false, "    ");
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("run").click();
    }
  });
  let runPlayground;
  try {
    const [runner] = await Promise.all([startPython(), showExample(first)]);
    runPlayground = runner;
  } catch (error) {
    setStatus("Python did not load");
    $("output").textContent = String(error);
    $("output").className = "error";
    await report({ error: String(error) });
    return;
  }
  setStatus("Ready");
  $("run").disabled = false;
  $("run").addEventListener("click", () => run(runPlayground));
  if (params.get("autorun") === "1") {
    await report(await run(runPlayground));
  }
}

main();

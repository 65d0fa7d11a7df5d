"""Reference engine vs PyPI micrograd 0.1.0: build + backward time, and memory per graph node.

A third engine, `benchmarks/tuned_engine.py` (the reference with performance tricks students never
read), shows what tuning buys. All engines build the same ~100k-node graph from ops they all
support (add, mul, pow, relu, and the neg/sub built from them) and run backward() on it. The
graph is wide rather than deep (its longest path stays under 500 nodes) because upstream's
recursive topological sort raises RecursionError on deep graphs; no engine gets a raised
recursion limit.

    .venv/bin/python benchmarks/engine.py [--width 140] [--layers 60] [--repeats 5]

Prints measured numbers and how they compare with the targets; it never asserts, since timings
depend on the machine and on whatever else it is running.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference" / "micrograd"
TUNED_FILE = Path(__file__).resolve().parent / "tuned_engine.py"
TARGET_SPEEDUP = 0.95  # upstream time / reference time, at least: the reference is not slower


def load_reference() -> ModuleType:
    """Import reference/micrograd under its own name, so PyPI's `micrograd` stays importable."""
    alias = "reference_micrograd"
    spec = importlib.util.spec_from_file_location(
        alias, REFERENCE_DIR / "__init__.py", submodule_search_locations=[str(REFERENCE_DIR)]
    )
    assert spec is not None and spec.loader is not None, f"cannot load {REFERENCE_DIR}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def load_tuned() -> ModuleType:
    """benchmarks/tuned_engine.py under its own name."""
    spec = importlib.util.spec_from_file_location("tuned_engine", TUNED_FILE)
    assert spec is not None and spec.loader is not None, f"cannot load {TUNED_FILE}"
    module = importlib.util.module_from_spec(spec)
    sys.modules["tuned_engine"] = module
    spec.loader.exec_module(module)
    return module


def load_upstream() -> ModuleType:
    """PyPI micrograd 0.1.0 from site-packages (installed by `pip install -e '.[dev]'`)."""
    import micrograd.engine

    return micrograd.engine


def build_graph(Value: Callable[[float], Any], width: int, layers: int) -> Any:
    """A layered graph, like a small network unrolled: `width` columns, `layers` rows.

    Every row mixes neighbouring columns with shared weights; the weights sum to at most 1, so the
    values stay in [0, 1] and no op overflows. A pairwise sum reduces the last row to one output,
    keeping the longest path short.
    """
    weights = [[Value(0.1 + 0.05 * ((i + j) % 5)) for j in range(4)] for i in range(width)]
    row = [Value((i + 1) / (width + 1)) for i in range(width)]
    for _ in range(layers):
        nxt = []
        for i in range(width):
            a, b = row[i], row[(i + 1) % width]
            w1, w2, w3, w4 = weights[i]
            nxt.append((a * w1 + b * w2 + a * b * w3 - b**2 * w4).relu())
        row = nxt
    while len(row) > 1:
        pairs = [row[i] + row[i + 1] for i in range(0, len(row) - 1, 2)]
        row = pairs + row[len(row) - len(row) % 2 :]
    return row[0]


def graph_nodes(root: Any) -> list[Any]:
    """Every node reachable from `root` (an explicit stack: the graph can be deep)."""
    seen = {id(root): root}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return list(seen.values())


def longest_path(root: Any) -> int:
    """Nodes on the longest path from `root` to a leaf: the recursion depth upstream needs."""
    depth: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            depth[id(node)] = 1 + max((depth[id(c)] for c in node._prev), default=0)
        elif id(node) not in depth:
            stack.append((node, True))
            stack.extend((c, False) for c in node._prev if id(c) not in depth)
    return depth[id(root)]


def survives_deep_chain(engine: ModuleType, depth: int) -> str:
    """Whether backward() works on a chain `depth` nodes long (upstream recurses once per node)."""
    x = engine.Value(1.0)
    node = x
    for _ in range(depth):
        node = node + x
    try:
        node.backward()
    except RecursionError:
        return "RecursionError"
    return "ok" if x.grad == depth + 1 else f"wrong gradient {x.grad}"


def time_once(engine: ModuleType, width: int, layers: int) -> tuple[float, float]:
    """Seconds to build the graph and to run backward(), with the garbage collector on as usual."""
    gc.collect()  # start from a clean heap: the previous run's graph is cyclic garbage
    start = time.perf_counter()
    root = build_graph(engine.Value, width, layers)
    built = time.perf_counter()
    root.backward()
    done = time.perf_counter()
    del root
    gc.collect()
    return built - start, done - built


def bytes_per_node(engine: ModuleType, width: int, layers: int) -> tuple[float, int]:
    """Memory the graph holds after build + backward (tracemalloc), divided by its node count."""
    gc.collect()
    tracemalloc.start()
    root = build_graph(engine.Value, width, layers)
    root.backward()
    gc.collect()  # drop backward()'s temporaries that only the cycle collector frees
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = len(graph_nodes(root))
    del root
    gc.collect()
    return held / nodes, nodes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=140)
    parser.add_argument("--layers", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    engines = {"upstream": load_upstream(), "reference": load_reference(), "tuned": load_tuned()}
    sample = build_graph(engines["reference"].Value, args.width, args.layers)
    nodes, depth = len(graph_nodes(sample)), longest_path(sample)
    del sample
    print(f"graph: {nodes} nodes, longest path {depth} nodes "
          f"(width {args.width}, {args.layers} layers); Python {sys.version.split()[0]}")

    times: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
    for _ in range(args.repeats):  # interleaved, so a busy moment hurts both engines alike
        for name, engine in engines.items():
            times[name].append(time_once(engine, args.width, args.layers))
    best = {name: min(runs, key=sum) for name, runs in times.items()}
    memory = {name: bytes_per_node(engine, args.width, args.layers)[0]
              for name, engine in engines.items()}

    print(f"\nbest of {args.repeats} runs       build s  backward s   total s   bytes/node")
    for name in engines:
        build_s, backward_s = best[name]
        print(f"  {name:<20} {build_s:9.3f} {backward_s:11.3f} {build_s + backward_s:9.3f}"
              f" {memory[name]:12.0f}")

    print()
    for name in ("reference", "tuned"):
        speedup = sum(best["upstream"]) / sum(best[name])
        ratio = memory[name] / memory["upstream"]
        verdict = ""
        if name == "reference":
            met = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
            verdict = f"   target >= {TARGET_SPEEDUP}x (not slower than upstream): {met}"
        print(f"{name:<9} vs upstream: speed-up {speedup:5.2f}x, memory per node {ratio:5.2f}x"
              + verdict)

    depth = 10 * sys.getrecursionlimit()
    print(f"\nbackward() on a {depth}-node chain: " + ", ".join(
        f"{name} {survives_deep_chain(engine, depth)}" for name, engine in engines.items()))


if __name__ == "__main__":
    main()

"""The teaching text of the generated notebooks: what to implement, and each op's math (from the
op table's `tex`, autograder.ops). The code itself never appears here: it is injected from the
reference by `mgrade release`.
"""

from __future__ import annotations

from autograder.ops import OPS_BY_NAME

SELFCHECK = """\
### Check as you go

Run the next cell after each op. It grades the code of this notebook with the same checks as the
official grade (public examples, no PyTorch needed) and prints what fails, with an example to
reproduce. Give a check id or a prefix: `"engine.tanh"`, `"engine.backward"`, `"nn"`, or nothing
for everything in this assignment."""

TESTS = """\
## Tests

Each cell below is one check of the grader, worth the points of the course's manifest. The grader
uses its own copy of these tests: editing or deleting a cell does not change your grade. The
official grade runs more examples and compares with PyTorch."""

CHAIN_RULE = r"""
Every op computes its output **and** defines `out._backward`, which adds the op's local
derivative times `out.grad` to each input's `.grad` (the chain rule, one node at a time):

$$\text{input.grad} \mathrel{+}= \frac{\partial\,\text{out}}{\partial\,\text{input}} \cdot
\text{out.grad}$$

Use `+=`, never `=`: a Value used twice receives gradient from both uses."""

BACKPROP = r"""
`backward()` fills in the gradient of the output with respect to every Value it depends on:

1. Order the graph topologically: every node after all of its inputs.
2. Seed the output: `self.grad = 1`, since $\frac{\partial\,\text{out}}{\partial\,\text{out}} = 1$.
3. Call each node's `_backward()` in reverse topological order, so a node's gradient is complete
   before it is pushed to its inputs.

Use an explicit stack rather than recursion: the grader builds a chain of 10,000 nodes, past
Python's recursion limit."""

NETWORK = r"""
On top of your engine, build a small neural-network library:

- `Neuron(nin, nonlin=True)`: weights $w_i \sim U(-1, 1)$, bias $b = 0$; it computes
  $\mathrm{relu}(\sum_i w_i x_i + b)$, or the plain sum when `nonlin=False`.
- `Layer(nin, nout)`: `nout` neurons on the same inputs; one output is returned as a bare Value.
- `MLP(nin, nouts)`: layers in sequence, ReLU on every layer but the last.
- `parameters()` lists every weight and bias (weights first, then the bias, layer by layer);
  `zero_grad()` resets their `.grad` before the next backward pass.

The grader checks each piece against a PyTorch twin, then trains your MLP on the two moons."""

VISUAL = """\
### See the graph

`draw_dot` draws a Value's graph: one box per Value with its data and grad, one node per op.
Once your ops and `backward()` work, the gradients below are filled in."""


def ops_table(names: list[str]) -> str:
    """Markdown table: op, what it computes, its local derivative, how it is usually built."""
    rows = ["| op | computes | local derivative | built from |", "|---|---|---|---|"]
    for name in names:
        op = OPS_BY_NAME[name]
        forward, derivative = op.tex
        rows.append(f"| `{name}` | ${forward}$ | ${derivative}$ | "
                    f"{op.built_as or 'its own `_backward`'} |")
    return "\n".join(rows)


def intro(title: str, assignment_id: str, files: list[str]) -> str:
    shown = " and ".join(f"`{f}`" for f in files)
    return (
        f"# {title}\n\n"
        f"Fill in every cell marked `YOUR CODE HERE` below (it holds the code of {shown}): replace "
        "each `raise NotImplementedError()` with your code, and keep all names and signatures as "
        "they are. Run the cells from the top; the last cells are the tests this assignment is "
        f"graded on (assignment `{assignment_id}`).\n\n"
        "The self-check needs the `mgrade` checker (`pip install mgrade`, no PyTorch); drawing "
        "the graph needs the `graphviz` package."
    )

"""A worked computation graph laid out as tables: inputs, nodes in dependency order, parameters."""

from __future__ import annotations

from ..solving.results import GraphResult
from .report import Report, Table, history_table, shared_table, values

MAX_SHOWN = 24  # values of one array shown in a table cell


def build(result: GraphResult, precision: int = 6) -> Report:
    """Lay out the whole graph result."""
    problem = result.problem
    n = problem.notation

    def fmt(array):
        return values(array, precision, missing="nan", most=MAX_SHOWN)

    d = f"∂{n.loss}/∂"
    if problem.loss is not None:
        what = f"{n.loss} is the loss of '{problem.output}' against the target"
    elif problem.upstream is not None:
        what = f"the upstream gradient {d}{problem.output} = {fmt(problem.upstream)} is given"
    else:
        what = f"{n.loss} is the output '{problem.output}' itself"
    lines = [f"graph: {len(problem.inputs)} inputs, {len(problem.params)} parameters, "
             f"{len(problem.nodes)} nodes; {what}"]
    tables = []
    if result.inputs:
        tables.append(Table("inputs", ["name", "value", f"{d}name"],
                            [[v.name, fmt(v.value), fmt(v.grad)] for v in result.inputs]))
    tables.append(Table("nodes (in the order computed)", ["name", "formula", "value", f"{d}name"],
                        [[v.name, v.text, fmt(v.value), fmt(v.grad)] for v in result.nodes], left=2))
    if result.loss is not None:
        tables.append(Table("loss", ["term", "value"], [[n.loss, fmt(result.loss.value)]], [result.loss.formula]))
    if result.shared:
        tables.append(shared_table(result, fmt, "parameters"))
    if result.trained and problem.training.steps > 1:
        tables.append(history_table(result, fmt))
        tables.append(Table(f"parameters after {problem.training.steps} steps", ["name", "value"],
                            [[name, fmt(v)] for name, v in result.final.items()]))
    return Report(problem.title or problem.source, lines, tables)

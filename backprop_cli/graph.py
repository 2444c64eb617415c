"""Reverse-mode differentiation over NumPy arrays: nodes, eager forward, one topological backward.

Gradients always accumulate (``+=``), so a value used in several places (a shared weight) receives the
sum of every use. Nodes that nothing trainable depends on are skipped by the backward pass.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .ops import OPS, Op


class Node:
    """A value in the computation: a leaf (constant or parameter) or the result of an op."""

    __slots__ = ("op", "inputs", "attrs", "value", "grad", "requires_grad", "label")

    def __init__(self, value: Any, op: Op | None = None, inputs: tuple["Node", ...] = (),
                 attrs: dict[str, Any] | None = None, requires_grad: bool = False, label: str = ""):
        self.op = op
        self.inputs = inputs
        self.attrs = attrs or {}
        self.value = np.asarray(value, dtype=float)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self.label = label

    def __repr__(self) -> str:
        kind = self.op.name if self.op else ("param" if self.requires_grad else "const")
        return f"Node({kind}, {self.label or '?'}, shape={self.value.shape})"


def constant(value: Any, label: str = "") -> Node:
    """A leaf that needs no gradient (data, targets, masks)."""
    return Node(value, label=label)


def parameter(value: Any, label: str = "") -> Node:
    """A leaf whose gradient is wanted."""
    return Node(value, requires_grad=True, label=label)


Rounder = Callable[[np.ndarray], np.ndarray]


def apply(op_name: str, *inputs: Node, rounder: Rounder | None = None, label: str = "", **attrs: Any) -> Node:
    """Evaluate an op on nodes now and record it for the backward pass."""
    op = OPS[op_name]
    with np.errstate(all="ignore"):
        value = op.forward(*(n.value for n in inputs), **attrs)
    if rounder is not None:
        value = rounder(value)
    return Node(value, op, inputs, attrs, any(n.requires_grad for n in inputs), label)


def topological_order(root: Node) -> list[Node]:
    """Every node the root depends on that needs a gradient, inputs before the nodes that use them."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or not node.requires_grad:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(node.inputs))
    return order


GradHook = Callable[[Node], None]
VJPChoice = Callable[[Node, int], Callable | None]


def backward(root: Node, seed: Any = 1.0, rounder: Rounder | None = None, on_grad: GradHook | None = None,
             vjp_for: VJPChoice | None = None) -> list[Node]:
    """Fill ``grad`` of every node that needs one with d(root)/d(node); return the order walked.

    ``on_grad`` sees each node once its gradient is complete and may change it before it flows on;
    ``vjp_for`` may replace an op's rule for one input. Both model how a hand calculation went.
    """
    order = topological_order(root)
    for node in order:
        node.grad = None
    root.grad = np.broadcast_to(np.asarray(seed, dtype=float), root.value.shape).copy()
    with np.errstate(all="ignore"):
        for node in reversed(order):
            if on_grad is not None and node.grad is not None:
                on_grad(node)
            if node.op is None or node.grad is None:
                continue
            values = [n.value for n in node.inputs]
            for i, parent in enumerate(node.inputs):
                if not parent.requires_grad:
                    continue
                rule = (vjp_for and vjp_for(node, i)) or node.op.vjp(i)
                contribution = rule(node.grad, node.value, *values, **node.attrs)
                if rounder is not None:
                    contribution = rounder(contribution)
                parent.grad = contribution if parent.grad is None else parent.grad + contribution
    return order

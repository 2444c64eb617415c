"""The layout is the architecture: stages import only from the stages before them, and no module
imports itself back through others. Imports inside functions count as well as those at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "backprop_cli"

# Each stage, and the stages (or modules) it may import from. Modules at the top of the package that
# are not listed here (cli, api, ...) sit above every stage and may import anything.
BASE = {"errors", "printable"}  # modules every stage may use
ALLOWED = {
    "engine": {"engine", *BASE},
    "read": {"read", "engine", *BASE},
    "solving": {"solving", "read", "engine", *BASE},
    "checking": {"checking", "solving", "read", "engine", *BASE},
    "render": {"render", "checking", "solving", "read", "engine", *BASE},
    "drawing": {"drawing", "render", "solving", "read", "engine", *BASE},
    "explaining": {"explaining", "drawing", "render", "checking", "solving", "read", "engine", *BASE},
    "console": {"console", "api", "explaining", "drawing", "render", "checking", "solving", "read", "engine",
                *BASE},
    # Only cli imports authoring; console for its output files (written atomically, refused when unsafe).
    "authoring": {"authoring", "console", "solving", "read", "engine", *BASE},
    "errors": BASE,
    "printable": {"printable"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The package's modules a file imports, anywhere in it."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("backprop_cli")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("backprop_cli"):
                continue
            for alias in node.names:  # `from . import x` names a module, `from .m import f` a name in m
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES}


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(f) for f in FILES}
GRAPH = {module_name(f): imports(f) for f in FILES}


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "backprop_cli"


def test_the_stages_exist():
    assert {"engine", "read", "solving", "checking", "render", "console"} <= {stage(m) for m in MODULES}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if stage(m) in ALLOWED))
def test_a_stage_imports_only_from_the_stages_before_it(module):
    outside = {m for m in GRAPH[module] if stage(m) not in ALLOWED[stage(module)]}
    assert not outside, f"{module} imports {sorted(outside)}"


def test_no_module_imports_itself_back():
    """No cycles: a depth-first walk never meets a module that is still open."""
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if target == module or target == "backprop_cli":
                continue
            if state.get(target) == "open":
                cycle = trail[trail.index(target):] + [target] if target in trail else [module, target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_the_engine_knows_nothing_of_hand_work_or_answers():
    words = ("round", "mistake", "answer", "hand")
    for path in (PACKAGE / "engine").glob("*.py"):
        names = {n.id for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Name)}
        assert not {n for n in names if any(w in n.lower() for w in words)}, path.name


def test_only_the_command_line_imports_authoring():
    importers = {m for m, targets in GRAPH.items() if stage(m) != "authoring" and any(stage(t) == "authoring"
                                                                                      for t in targets)}
    assert importers <= {"backprop_cli.cli"}

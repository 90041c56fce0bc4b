"""The package's shape (docs/architecture.md): layers import only downwards, stages never
import each other, no import cycles, no module past 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import ingester

PACKAGE = Path(ingester.__file__).resolve().parent

# Each unit (a top-level module or package of ingester) belongs to one layer; a unit may
# import units of lower layers only. Units in one layer never import each other: the
# stages are connected by the pipeline alone.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"types", "errors", "urls", "clock", "blocks", "logs", "locations"}),  # leaves
    frozenset({"config"}),  # the one settings object, passed down to every stage
    frozenset({"schedule", "fetch", "parse", "extract", "render", "store"}),  # the stages
    frozenset({"pipeline"}),
    frozenset({"daemon", "query"}),
    frozenset({"cli"}),
)
ENTRY_POINTS = frozenset({"__init__", "__main__"})  # ingester/__main__.py runs the CLI
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The project modules ``name`` imports anywhere in its file (function bodies and
    TYPE_CHECKING blocks too: each is a dependency all the same)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                # ``from . import decide`` imports the module, not the package's __init__.
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in known else target)
    return {module for module in found if module in known}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(name: str) -> int:
    return next(i for i, units in enumerate(LAYERS) if name in units)


def layer_violations(graph: Mapping[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        source = unit(module)
        if source in ENTRY_POINTS:
            continue
        for target in sorted(targets):
            other = unit(target)
            if other == source or other == "__init__":
                continue
            if layer_of(other) >= layer_of(source):
                found.append(f"{module} imports {target}")
    return found


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself
    (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph.get(node, ()):
                        found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# -- the package ----------------------------------------------------------------------------


def test_every_unit_of_the_package_has_a_layer() -> None:
    units = {unit(module) for module in modules()} - ENTRY_POINTS
    placed = set().union(*LAYERS)
    assert units - placed == set()
    assert placed - units == set()  # no layer names a unit that is gone


def test_layers_import_only_downwards_and_stages_never_import_each_other() -> None:
    assert layer_violations(import_graph()) == []


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_400_lines(name: str) -> None:
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines"


def test_trafilatura_feedparser_and_sqlite3_each_have_one_home() -> None:
    graph_of_foreign: dict[str, set[str]] = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph_of_foreign[name] = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and not node.level
        }
    homes = {"trafilatura": "extract", "feedparser": "parse", "sqlite3": "store"}
    for library, home in homes.items():
        users = {unit(name) for name, found in graph_of_foreign.items() if library in found}
        assert users == {home}, library


# -- the checker itself: each rule catches what it is for ---------------------------------


def test_a_stage_importing_another_stage_is_reported() -> None:
    graph = {"ingester.fetch.client": {"ingester.parse.feed"}, "ingester.parse.feed": set()}
    assert layer_violations(graph) == ["ingester.fetch.client imports ingester.parse.feed"]


def test_a_lower_layer_importing_a_higher_one_is_reported() -> None:
    graph = {"ingester.types": {"ingester.store"}, "ingester.store": set()}
    assert layer_violations(graph) == ["ingester.types imports ingester.store"]


def test_downward_and_in_package_imports_are_allowed() -> None:
    graph = {
        "ingester.pipeline.run": {"ingester.fetch", "ingester.pipeline.decide", "ingester.types"},
        "ingester.cli.app": {"ingester.daemon", "ingester.store"},
    }
    assert layer_violations(graph) == []


def test_a_cycle_is_found_through_a_package_init() -> None:
    graph = {
        "ingester.fetch": {"ingester.fetch.client"},
        "ingester.fetch.client": {"ingester.fetch.headers", "ingester.fetch"},
        "ingester.fetch.headers": set(),
    }
    assert cycles(graph) == [["ingester.fetch", "ingester.fetch.client"]]
    del graph["ingester.fetch.client"]
    assert cycles(graph) == []


def test_relative_imports_resolve_to_modules() -> None:
    known = modules()
    graph = import_graph()
    assert "ingester.pipeline.decide" in graph["ingester.pipeline.run"]
    assert "ingester.fetch.headers" in graph["ingester.fetch.client"]
    assert "ingester.errors" in graph["ingester.fetch.client"]
    assert all(target in known for targets in graph.values() for target in targets)

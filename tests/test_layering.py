"""The API's packages depend on each other one way only: no import cycle between packages.

Packages are ordered by what they use (foundation modules, domains, the OAuth
server, access, the REST resources of ``api.v1``); an import that runs back up
would tie two levels together. This walks ``api/`` with ``ast`` and fails on
any cycle in the graph of package-level imports, naming the imports that close it.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

API = Path(__file__).resolve().parent.parent / "api"
#: Each resource of the REST API is a package of its own.
SUBPACKAGED = {"v1"}


def node_of(module: str) -> str:
    """``api.users.models`` → ``api.users``; ``api.v1.users.routes`` → ``api.v1.users``."""
    parts = module.split(".")
    depth = 3 if len(parts) > 2 and parts[1] in SUBPACKAGED else 2
    return ".".join(parts[:depth])


def module_name(path: Path) -> str:
    parts = list(path.relative_to(API.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, module: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("api.")}


def package_graph() -> dict[str, dict[str, str]]:
    """node → {node it imports: one module that does it, as evidence}."""
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in API.rglob("*.py"):
        module = module_name(path)
        source = node_of(module)
        for target in imported_modules(ast.parse(path.read_text()), module):
            if (API.parent / target.replace(".", "/")).exists() or \
                    (API.parent / (target.replace(".", "/") + ".py")).exists():
                imported = node_of(target)
                if imported != source and imported != "api.v1":
                    graph[source].setdefault(imported, f"{module} imports {target}")
    return graph


def reachable(graph: dict[str, dict[str, str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph.get(todo.pop(), {}):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The groups of packages that reach each other (strongly connected, more than one)."""
    reach = {node: reachable(graph, node) for node in graph}
    groups = {frozenset({node} | {other for other in reach[node] if node in reach.get(other, ())})
              for node in graph}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def test_no_package_imports_a_package_that_imports_it_back():
    graph = package_graph()
    evidence = [f"{' <-> '.join(component)}: " + "; ".join(
        graph[a][b] for a in component for b in component if b in graph.get(a, {}))
        for component in cycles(graph)]
    assert evidence == []


def test_the_check_sees_a_cycle():
    graph = {"api.a": {"api.b": "a imports b"}, "api.b": {"api.c": "b imports c"},
             "api.c": {"api.a": "c imports a"}, "api.d": {"api.a": "d imports a"}}
    assert cycles(graph) == [["api.a", "api.b", "api.c"]]


def test_the_graph_reads_the_real_imports():
    graph = package_graph()
    assert "api.oauth" in graph["api.access"]  # the guard checks the OAuth server's tokens
    assert "api.access" in graph["api.v1.users"]
    assert "api.users" in graph["api.oauth"]

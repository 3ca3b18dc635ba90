"""The boundaries between the feature packages, checked on the import graph (grimp).

- `core` (what a report is reached by, the links), `web` (the HTTP toolkit), `storage`
  (where photo files live) and `jobs` (how jobs run) import no feature;
- a feature's routes are imported only by its own wiring (`<feature>.feature`);
- no module imports another package's private (`_name`) helper;
- the feature packages form layers on the core (the Report aggregate: report, photos, events,
  states, the workflow, the catalogue's tables, tokens, links, typed settings), from the staff
  accounts at the bottom to the open interfaces at the top: no import points upwards, so the
  features form no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "maengelmelder"

# Lowest first: a package may import the ones in lower layers only (and `core`, `web`).
LAYERS = (
    ("accounts",),
    ("catalog", "notify"),
    ("zoning", "abuse", "sla", "addresses"),
    ("reports",),
    ("tickets",),
    ("board", "open311", "opendata", "privacy", "forwarding"),
    ("demo", "openapi"),
)
FEATURES = tuple(name for layer in LAYERS for name in layer)


@pytest.fixture(scope="module")
def graph():
    # An import for annotations only (`if TYPE_CHECKING:`) is no dependency at run time.
    return grimp.build_graph("maengelmelder", exclude_type_checking_imports=True)


def _imports(graph, importer: str, imported: str) -> bool:
    return graph.direct_import_exists(
        importer=f"maengelmelder.{importer}", imported=f"maengelmelder.{imported}", as_packages=True
    )


def test_core_and_web_import_no_feature(graph):
    for base in ("core", "web", "storage", "jobs"):
        found = [f for f in FEATURES if _imports(graph, base, f)]
        assert not found, f"maengelmelder.{base} imports {found}"


def test_features_import_only_lower_layers(graph):
    level = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    upward = sorted(
        (a, b)
        for a in FEATURES
        for b in FEATURES
        if a != b and level[a] <= level[b] and _imports(graph, a, b)
    )
    assert upward == [], "imports against the layers (importer, imported)"


def test_the_features_form_no_cycle(graph):
    edges = {(a, b) for a in FEATURES for b in FEATURES if a != b and _imports(graph, a, b)}
    assert find_cycle(edges) is None


def test_every_feature_package_is_in_a_layer(graph):
    packages = {m.split(".")[1] for m in graph.modules if m.count(".") >= 1}
    infrastructure = {"core", "web", "static", "storage", "jobs"}
    packages = {p for p in packages if (PACKAGE / p).is_dir()} - infrastructure
    packages -= {p for p in packages if p.startswith("_")}
    assert packages - set(FEATURES) == set()


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """A cycle of the directed graph, as its nodes in order, or None."""
    succ: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        succ.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in succ.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(succ):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_find_cycle_finds_one():
    assert find_cycle({("a", "b"), ("b", "c")}) is None
    assert find_cycle({("a", "b"), ("b", "c"), ("c", "a")}) == ["a", "b", "c", "a"]


def test_routes_are_imported_only_by_their_feature_wiring(graph):
    for module in sorted(graph.modules):
        parts = module.split(".")
        if len(parts) != 3 or parts[2] != "routes":
            continue
        importers = graph.find_modules_that_directly_import(module)
        allowed = {f"maengelmelder.{parts[1]}.feature"}
        assert importers <= allowed, f"{module} is imported by {sorted(importers - allowed)}"


def _package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def test_no_module_imports_another_packages_private_names():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or (not node.module and not node.level):
                continue
            if node.level:
                base = module.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("maengelmelder"):
                continue
            if _package_of(target) == _package_of(module):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    offenders.append(f"{module}: from {target} import {alias.name}")
    assert offenders == []

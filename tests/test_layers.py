"""Dependencies point one way: no import circle, nothing imports the command line from below, and every
import points down or sideways in the layers of docs/architecture.md (read from its `layers` block).

Imports are read with `ast`, function-local ones included: a late import that only dodges a circle is
still a circle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tljh_lite", "tljh")
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `name` imports, anywhere in its code."""
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = here.split(".")
                up = up[: len(up) - (node.level - 1)] if node.level > 1 else up
                base = ".".join(up + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # the longest module of ours it names
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):  # its own package: not a dependency
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layers() -> dict[str, int]:
    """Top-level name -> its layer's height (cli highest), from docs/architecture.md."""
    block = re.search(r"```layers\n(.*?)```", ARCHITECTURE.read_text(), re.S)
    assert block, f"{ARCHITECTURE} has no ```layers block"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    height = {}
    for level, line in enumerate(reversed(lines)):
        _layer, _, names = line.partition(":")
        for top in names.split():
            assert top not in height, f"{top} is in two layers of {ARCHITECTURE.name}"
            height[top] = level
    return height


def top(module: str) -> str:
    """tljh_lite.https.units -> https; tljh.user -> tljh."""
    parts = module.split(".")
    return "tljh" if parts[0] == "tljh" else parts[1] if len(parts) > 1 else "__init__"


def test_no_import_circle():
    edges = graph()
    found = circles(edges)
    described = []
    for component in found:
        members = set(component)
        described.append(" / ".join(f"{a} -> {b}" for a in component for b in sorted(edges[a] & members)))
    assert not found, "import circles: " + "; ".join(described)


def test_nothing_below_the_command_line_imports_it():
    wrong = [f"{a} -> {b}" for a, targets in graph().items() for b in targets
             if top(b) == "cli" and top(a) != "cli"]
    assert not wrong, "imports of cli/ from below it: " + ", ".join(wrong)


def test_every_import_points_down_or_sideways_in_the_documented_layers():
    height = layers()
    edges = graph()
    unplaced = sorted({top(name) for name in edges} - set(height) - {"__init__"})
    assert not unplaced, f"not in the layers of {ARCHITECTURE.name}: {', '.join(unplaced)}"
    up = [f"{a} -> {b}" for a, targets in edges.items() for b in targets
          if top(a) != "__init__" and top(b) != "__init__" and height[top(b)] > height[top(a)]]
    assert not up, "imports that point up the layers: " + ", ".join(sorted(up))


def test_the_layers_name_only_what_exists():
    existing = {top(name) for name in modules()}
    missing = sorted(set(layers()) - existing)
    assert not missing, f"{ARCHITECTURE.name} names what is not in the tree: {', '.join(missing)}"


def test_the_checker_finds_a_circle_and_an_import_from_below(tmp_path):
    """The test above would fail if the code had one: the same reading finds a planted circle."""
    package = tmp_path / "pkg"
    (package / "cli").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli" / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from . import b\n")
    (package / "b.py").write_text("from .a import f\nfrom .cli import x\n")
    (package / "cli" / "x.py").write_text("")
    known = {"pkg", "pkg.a", "pkg.b", "pkg.cli", "pkg.cli.x"}
    paths = {"pkg.a": package / "a.py", "pkg.b": package / "b.py"}
    edges = {name: imports_of(name, path, known) for name, path in paths.items()}
    assert edges == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a", "pkg.cli", "pkg.cli.x"}}
    assert circles({**edges, "pkg.cli": set(), "pkg.cli.x": set()}) == [["pkg.a", "pkg.b"]]


def test_no_test_module_imports_another():
    """Shared test code lives in tests/fakes.py and conftest.py (integration-tests/: modules not named test_*)."""
    wrong = []
    for folder in ("tests", "integration-tests"):
        for path in sorted((ROOT / folder).glob("test_*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                wrong += [f"{folder}/{path.name} imports {n}" for n in names if n.split(".")[0].startswith("test_")]
    assert not wrong, "; ".join(wrong)

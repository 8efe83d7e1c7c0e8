"""The package's shape, checked: no import cycles, and settings read in one place (issue "one place for each fact")."""

import ast
import gc
from pathlib import Path

import amazon_zoho
from amazon_zoho_tests.python_source import parse

PACKAGE = Path(amazon_zoho.__file__).parent
# Modules allowed to read the process environment: the settings module, the sandbox (its own command line and
# knobs), and the command-line entry points (make run/dev, make bench/chaos), which hand it on to settings.py.
READS_ENVIRONMENT = ("settings.py", "sandbox/", "cli/", "bench/")


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules `name` imports, anywhere in it: an import deferred into a function is still a cycle
    waiting for the first caller (settings.py once imported ops/pii_retention.py inside a function, which imported
    partitions.py, which imported settings.py)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def test_no_import_cycle_in_the_package():
    mods = modules()
    graph = {name: imports_of(name, path, set(mods)) for name, path in mods.items()}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            # A package's __init__ importing its own submodules is not a cycle through the package.
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_only_settings_the_sandbox_and_entry_points_read_the_environment():
    readers = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(READS_ENVIRONMENT):
            continue
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" and node.attr in ("environ", "getenv", "putenv"):
                readers.append(f"{relative}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name in ("environ", "getenv") for a in node.names):
                readers.append(f"{relative}:{node.lineno}")
    assert not readers, f"modules reading os.environ behind settings.py's back: {readers}"


def test_the_check_finds_a_cycle_and_an_environment_read(tmp_path):
    """The two checks above can fail: a cycle and an os.environ read written on purpose are found."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from .b import x\n")
    b.write_text("from .a import y\nimport os\nz = os.environ['X']\n")
    known = {"pkg.a", "pkg.b"}
    assert imports_of("pkg.a", a, known) == {"pkg.b"} and imports_of("pkg.b", b, known) == {"pkg.a"}
    assert any(isinstance(n, ast.Attribute) and n.attr == "environ" for n in ast.walk(parse(b)))


def test_a_parse_survives_a_collection_whose_finalizer_parses():
    """A finalizer that calls ast.parse during our parse (as 3.11's traceback module does when a finalizer logs an
    exception) made CPython 3.11 raise `AST constructor recursion depth mismatch` in CI; `parse` holds the collector
    off. Unguarded, this very setup raises on the 3.11 that CI runs."""
    finalized, armed = [], [True]

    class Cycle:
        def __init__(self):
            self.me = self

        def __del__(self):
            finalized.append(ast.parse("x = a[b] + c(d)"))
            if armed[0]:
                Cycle()

    path = PACKAGE / "amazon" / "reports.py"
    threshold = gc.get_threshold()
    gc.set_threshold(10**6)
    Cycle()
    gc.set_threshold(3)
    try:
        tree = parse(path)
    finally:
        armed[0] = False
        gc.set_threshold(*threshold)
        gc.collect()
    assert ast.dump(tree) == ast.dump(ast.parse(path.read_text()))
    assert finalized, "the collector never ran a finalizer, so the test proved nothing"

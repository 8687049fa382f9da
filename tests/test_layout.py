"""The architecture holds: who may import whom, one home per library, a sorted API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import planetrss
from tests.conftest import ROOT

PACKAGE = ROOT / "planetrss"

# Module -> the planetrss modules it may import (design.md, section 2).
ALLOWED = {
    "models": set(),
    "errors": set(),
    "standards": set(),
    "config": {"errors", "standards"},
    "sites": {"models", "sites"},
    "http": {"__init__"},
    "packing": set(),
    "store": {"models", "errors", "packing"},
    "merge": {"models"},
    "feed": {"__init__", "config", "models", "standards"},
    "crawl": {"http", "models", "sites", "errors", "parse_worker"},
    "parse_worker": {"sites", "packing"},
    "discover": {"errors", "http", "models", "sites"},
    "check": {"standards", "errors"},
    "build": {
        "__init__",
        "feed",
        "sites",
        "config",
        "crawl",
        "errors",
        "http",
        "models",
        "store",
        "check",
        "merge",
    },
    "cli": {
        "__init__",
        "config",
        "errors",
        "build",
        "crawl",
        "models",
        "http",
        "store",
        "demo",
        "check",
        "feed",
        "serve",
        "discover",
    },
    # Above build, like cli: it runs builds (sharing one Parser) and serves what they wrote.
    "serve": {"__init__", "build", "config", "crawl", "errors"},
    "demo": {"demo"},
}

# Each third-party library lives behind exactly one module.
HOMES = {
    "httpx": {"http"},
    "diskcache": {"store"},
    "feedgen": {"feed"},
    "bs4": {"sites"},
    "starlette": {"serve"},
    "uvicorn": {"serve"},
    "soupsieve": {"sites"},
    "w3lib": {"sites"},
    "isodate": {"sites"},
    "dateutil": {"sites"},
}


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (annotations only, never run)."""
    found: list[ast.AST] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        found.append(node)
        found.extend(_runtime_nodes(node))
    return found


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "planetrss":
            found |= {f"planetrss.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def area(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if area(p) not in ("__init__", "__main__")]


def test_stages_import_only_what_the_design_allows() -> None:
    problems = []
    for path in modules():
        for name in imports_of(path):
            if name == "planetrss" or name.startswith("planetrss."):
                target = name.split(".")[1] if "." in name else "__init__"
                if not (PACKAGE / target).exists() and not (PACKAGE / f"{target}.py").exists():
                    target = "__init__"  # `from planetrss import __version__`
                if target not in ALLOWED[area(path)] and target != area(path):
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


# Inside planetrss.sites: the modules every kind shares; everything else is a kind (a
# module or a package). Kinds import the shared modules, never each other.
SITES = PACKAGE / "sites"
SHARED_SITE_IMPORTS: dict[str, set[str]] = {
    "base": set(),
    "extract": set(),
    "sitemap": {"extract"},
    "narrow": set(),  # cuts what a parse needs out of a page's text, before any parser
    "soup": {"extract"},  # bs4 helpers for parse modules
}


def site_part(path: Path) -> str:
    """``npr`` for sites/npr/pages.py, ``base`` for sites/base.py."""
    return path.relative_to(SITES).with_suffix("").parts[0]


def test_site_kinds_import_the_shared_modules_never_each_other() -> None:
    problems = []
    for path in SITES.rglob("*.py"):
        part = site_part(path)
        if part == "__init__":
            continue  # the registry: it lists every kind
        for name in imports_of(path):
            if not name.startswith("planetrss.sites."):
                continue
            target = name.split(".")[2]
            allowed = SHARED_SITE_IMPORTS.get(part, set(SHARED_SITE_IMPORTS))
            if target not in allowed and target != part:
                problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


def test_the_crawling_process_does_not_import_beautifulsoup() -> None:
    # Pages are parsed in worker processes; the build's own process needs the sites'
    # URLs and paging, not their soup (a kind imports bs4 only in its parse module).
    code = (
        "import sys, planetrss.crawl, planetrss.sites, planetrss.build\n"
        "print(sorted(m for m in sys.modules if m == 'bs4' or m.startswith('bs4.')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"


def test_each_library_lives_behind_one_module() -> None:
    problems = []
    for path in PACKAGE.rglob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in HOMES and area(path) not in HOMES[top]:
                problems.append(f"{path.relative_to(ROOT)} imports {top}")
    assert problems == []


def test_public_api_is_sorted_and_resolves() -> None:
    assert planetrss.__all__ == sorted(planetrss.__all__)
    for name in planetrss.__all__:
        assert getattr(planetrss, name) is not None


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*.py")
        if ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert missing == []

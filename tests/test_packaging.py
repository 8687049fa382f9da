"""What a `pip install` of planetrss gets: every library it imports, its built-in data files."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from planetrss.config import BUILTIN_FEEDS
from tests.conftest import ROOT
from tests.test_layout import PACKAGE, imports_of

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_imported_library_is_a_declared_dependency() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    missing = set()
    for path in PACKAGE.rglob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top in ("planetrss", "__future__"):
                continue
            for dist in distributions.get(top, [top]):
                if _name(dist) not in declared:
                    missing.add(f"{path.relative_to(ROOT)} imports {top} ({dist})")
    assert sorted(missing) == []


def test_builtin_feed_definitions_are_package_data() -> None:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["planetrss.demo"]
    shipped = sorted(BUILTIN_FEEDS.glob("*.toml"))
    assert shipped, f"no built-in definitions in {BUILTIN_FEEDS}"
    for path in shipped:
        relative = str(path.relative_to(PACKAGE / "demo"))
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_the_license_is_the_one_declared() -> None:
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_make_clean_keeps_the_feeds_you_built() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(
        ["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "rm " in dry_run and ".venv" in dry_run
    assert "feeds" not in dry_run and ".xml" not in dry_run


def test_ci_lints_then_tests() -> None:
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-2:] == ["make lint", "make test"]

"""House rules that the code itself can be checked for."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import hemsnet

SRC = Path(hemsnet.__file__).parent
# sans-I/O: time and randomness are inputs
CORE = ("echonet", "devices", "metering", "physics", "meter", "controller", "homenet", "appliances")
FORBIDDEN_IN_CORE = {"asyncio", "socket", "sqlite3", "time", "random", "selectors", "threading"}


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    "path", [p for pkg in CORE for p in _modules(pkg)], ids=lambda p: str(p.relative_to(SRC))
)
def test_core_does_no_io_and_reads_no_clock(path: Path) -> None:
    imported = _imports(path)
    assert not {name.split(".")[0] for name in imported} & FORBIDDEN_IN_CORE
    assert not [n for n in imported if n.startswith(("hemsnet.aio", "hemsnet.cli"))]
    assert "hemsnet.store.store" not in imported  # the data model only, never the database


@pytest.mark.parametrize("path", _modules("echonet"), ids=lambda p: p.name)
def test_echonet_knows_nothing_of_device_classes(path: Path) -> None:
    assert not [n for n in _imports(path) if n.startswith("hemsnet.devices")]


def _all_modules() -> list[str]:
    """Public modules: packages and ``__main__`` aside, none with a private component."""
    return [
        info.name
        for info in pkgutil.walk_packages(hemsnet.__path__, "hemsnet.")
        if not info.ispkg
        and info.name != "hemsnet.__main__"
        and not any(part.startswith("_") for part in info.name.split("."))
    ]


@pytest.mark.parametrize("name", _all_modules())
def test_public_surface_is_declared(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} must declare its public names in __all__"
    for symbol in module.__all__:
        assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"

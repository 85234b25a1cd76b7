"""House rules that the code itself is checked for (docs/architecture.md, "Layers").

* **The layer matrix.** :data:`MAY_IMPORT` says which package may import which; every import
  between packages, absolute or relative, through a package's re-export or not, must be in it,
  and every package must be placed in it.
* **The sans-I/O core** (:data:`CORE`) imports nothing but the standard library and hemsnet, no
  I/O module of the standard library, and never reads the wall clock.
* **No import cycle** between modules.
* **Each rule fails**: the probes at the end feed the checker small sources that break one
  rule each.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

import hemsnet

SRC: Final = Path(hemsnet.__file__).parent

#: Which package (or top-level module) of hemsnet may import which. Downwards only.
MAY_IMPORT: Final[dict[str, frozenset[str]]] = {
    name: frozenset(allowed)
    for name, allowed in {
        "errors": (),
        "localtime": (),
        "tomlconfig": ("errors",),
        "echonet": ("errors",),
        "devices": ("echonet", "errors"),
        "metering": ("devices", "echonet", "errors"),
        "physics": ("errors",),
        "homenet": ("errors", "tomlconfig"),
        "meter": ("physics", "metering", "devices", "echonet", "errors", "tomlconfig"),
        "appliances": ("physics", "devices", "echonet", "errors"),
        "controller": ("physics", "metering", "devices", "echonet", "errors", "tomlconfig"),
        "skstack": ("meter", "physics", "metering", "devices", "echonet", "errors"),
        "dissector": ("devices", "echonet", "errors"),
        "conformance": (
            *("controller", "meter", "physics", "metering", "devices", "echonet", "errors"),
        ),
        # Energy management: decides what the appliance monitors carry out.
        "control": ("physics", "metering", "devices", "echonet", "errors", "tomlconfig"),
        # Above the boundary: I/O.
        "store": ("metering", "devices", "echonet", "errors"),
        "aio": (
            *("control", "controller", "meter", "appliances", "skstack", "store", "metering"),
            "physics",
            *("devices", "echonet", "errors"),
        ),
        "testbed": ("routea", "homenet", "store", "metering", "errors"),
        "uplink": (
            *("aio", "store", "control", "controller", "metering", "devices", "echonet"),
            *("errors", "tomlconfig"),
        ),
        "web": (
            *("uplink", "aio", "store", "control", "controller", "metering", "devices", "echonet"),
            *("errors", "localtime", "tomlconfig"),
        ),
        # Route A: the utility's head-end and the provider's importer (docs/route-a.md).
        "routea": (
            *("web", "aio", "controller", "metering", "devices", "echonet"),
            *("errors", "tomlconfig"),
        ),
        # Simulated homes sending over Route C, for the provider's bench and demo.
        "fleet": ("uplink", "aio", "store", "controller", "meter", "echonet", "errors"),
        # The HEMS provider's service: Route C into PostgreSQL, and the fleet API.
        "provider": ("web", "uplink", "aio", "errors"),
        "cli": (
            *("fleet", "provider", "routea", "aio", "web", "uplink", "testbed", "store"),
            "control",
            *("controller", "meter"),
            *("appliances", "skstack", "conformance", "dissector"),
            *("homenet", "metering", "physics", "devices", "echonet"),
            *("errors", "localtime", "tomlconfig"),
        ),
        "__main__": ("cli",),
    }.items()
}
#: The sans-I/O core: time and randomness are inputs, bytes in and out.
CORE: Final = frozenset(
    {"echonet", "devices", "metering", "physics", "meter", "appliances", "controller", "homenet"}
    | {"skstack", "conformance", "control"}
)
#: Standard-library modules that do I/O, keep time or hide state (the core takes them as inputs).
IO_MODULES: Final = frozenset(
    {
        *("asyncio", "socket", "selectors", "ssl", "sqlite3", "subprocess", "multiprocessing"),
        *("threading", "concurrent", "signal", "time", "random", "secrets", "http", "urllib"),
        *("shutil", "tempfile", "logging.handlers"),
    }
)
#: Calls that read the wall clock: ``datetime.now()`` and its kin.
CLOCK_CALLS: Final = frozenset(
    {("datetime", "now"), ("datetime", "today"), ("datetime", "utcnow"), ("date", "today")}
    | {("time", name) for name in ("time", "time_ns", "monotonic", "perf_counter", "localtime")}
)


@dataclass(frozen=True, slots=True)
class Source:
    """A module's text and where it sits: its dotted name and whether it is a package."""

    module: str
    text: str
    is_package: bool = False

    @property
    def package(self) -> str:
        """The top-level part of hemsnet it belongs to: ``controller``, ``errors``."""
        return self.module.split(".")[1]


def _sources() -> list[Source]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        parts = ["hemsnet", *path.relative_to(SRC).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        if len(parts) == 1:
            continue  # hemsnet/__init__.py
        found.append(Source(".".join(parts), path.read_text(encoding="utf-8"), is_package))
    return found


def _imports(source: Source) -> Iterator[tuple[str, str | None]]:
    """Every ``(module, name)`` that ``source`` imports, the module's name absolute (relative
    imports resolved); ``name`` is what ``from module import name`` takes, else ``None``."""
    for node in ast.walk(ast.parse(source.text)):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = source.module.split(".")
                if not source.is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            yield from ((module, alias.name) for alias in node.names)


def imported_names(source: Source) -> set[str]:
    """The modules ``source`` imports, and ``module.name`` for each name it takes of one."""
    return {
        name
        for module, taken in _imports(source)
        for name in (module, *([f"{module}.{taken}"] if taken else []))
    }


def _hemsnet_package(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "hemsnet" and len(parts) > 1 else None


def layer_violations(source: Source) -> list[str]:
    """The imports of ``source`` that break the layer matrix or the core's rules."""
    package = source.package
    allowed = MAY_IMPORT.get(package)
    if allowed is None:
        return [f"{package} is not placed in MAY_IMPORT"]
    problems = []
    for name in sorted(imported_names(source)):
        target = _hemsnet_package(name)
        if target is not None:
            if target != package and target not in allowed and target in MAY_IMPORT:
                problems.append(f"{source.module} imports {name}: {package} may not use {target}")
            continue
        if package not in CORE:
            continue
        top = name.split(".")[0]
        if top not in sys.stdlib_module_names and top != "hemsnet":
            problems.append(f"{source.module} imports {name}: the core uses no third-party code")
        elif top in IO_MODULES or name in IO_MODULES:
            problems.append(f"{source.module} imports {name}: the core does no I/O")
    if package in CORE:
        problems += _clock_reads(source)
    return problems


def _clock_reads(source: Source) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(source.text)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if (name, node.func.attr) in CLOCK_CALLS:
            problems.append(f"{source.module} line {node.lineno}: {name}.{node.func.attr}()")
    return problems


def import_cycles(sources: list[Source]) -> list[list[str]]:
    """Cycles in the graph of hemsnet modules importing hemsnet modules."""
    modules = {source.module for source in sources}

    def targets(source: Source) -> list[str]:
        """The module each import runs: ``from pkg import sub`` runs ``pkg.sub``."""
        found = set()
        for module, taken in _imports(source):
            submodule = f"{module}.{taken}"
            found.add(submodule if submodule in modules else module)
        return sorted(found & modules - {source.module})

    graph = {source.module: targets(source) for source in sources}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in graph[module]:
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


SOURCES: Final = _sources()


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.module)
def test_imports_keep_to_the_layers(source: Source) -> None:
    assert layer_violations(source) == []


def test_every_package_is_placed_in_the_matrix() -> None:
    assert {source.package for source in SOURCES} == set(MAY_IMPORT)


def test_no_module_imports_itself_back() -> None:
    assert import_cycles(SOURCES) == []


# --- each rule fails on a probe ------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "text", "expected"),
    [
        ("hemsnet.echonet.probe", "from hemsnet.devices import registry\n", "may not use"),
        ("hemsnet.controller.probe", "from hemsnet.store import Store\n", "may not use"),
        ("hemsnet.controller.probe", "from hemsnet.aio.runner import X\n", "may not use"),
        ("hemsnet.echonet.probe", "from ..devices import registry\n", "may not use"),
        ("hemsnet.devices.codecs.probe", "from ...store import model\n", "may not use"),
        ("hemsnet.store.probe", "import hemsnet.web.app\n", "may not use"),
        ("hemsnet.meter.probe", "import asyncio\n", "no I/O"),
        ("hemsnet.physics.probe", "from random import random\n", "no I/O"),
        ("hemsnet.homenet.probe", "import subprocess\n", "no I/O"),
        ("hemsnet.controller.probe", "import aiohttp\n", "no third-party"),
        ("hemsnet.metering.probe", "import time\n", "no I/O"),
        (
            "hemsnet.meter.probe",
            "from datetime import datetime\nNOW = datetime.now()\n",
            "datetime.now()",
        ),
        ("hemsnet.controller.probe", "import datetime\nx = datetime.date.today()\n", "today()"),
        ("hemsnet.appliances.probe", "import time as t\nx = time.time()\n", "time.time()"),
        ("hemsnet.newthing.probe", "x = 1\n", "not placed"),
    ],
)
def test_each_rule_fails_on_a_probe(module: str, text: str, expected: str) -> None:
    problems = layer_violations(Source(module, text))
    assert any(expected in problem for problem in problems), problems


def test_the_io_layer_may_use_io_and_its_lower_layers() -> None:
    probe = Source("hemsnet.aio.probe", "import asyncio\nfrom ..store import Store\nimport time\n")
    assert layer_violations(probe) == []


def test_a_cycle_is_found() -> None:
    sources = [
        Source("hemsnet.controller.a", "from hemsnet.controller import b\n"),
        Source("hemsnet.controller.b", "from . import a\n"),
        Source("hemsnet.controller.c", "from hemsnet.controller import a\n"),
    ]
    assert import_cycles(sources) == [
        ["hemsnet.controller.a", "hemsnet.controller.b", "hemsnet.controller.a"]
    ]


# --- the public surface ----------------------------------------------------------------------


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

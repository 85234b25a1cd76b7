"""No two public classes share a name, so that a name in a traceback, a log or a docstring
says which one (websockets' tests/test_exports.py checks its surface the same way)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import hemsnet


def public_classes() -> dict[str, set[str]]:
    """For each public class name, the modules that define a class of that name."""
    defined: dict[str, set[str]] = defaultdict(set)
    for info in pkgutil.walk_packages(hemsnet.__path__, "hemsnet."):
        if info.name == "hemsnet.__main__":
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            # Where it is defined, not where it is re-exported: one class, one home.
            if inspect.isclass(value) and value.__module__ == module.__name__:
                defined[name].add(module.__name__)
    return defined


def test_no_two_public_classes_share_a_name() -> None:
    shared = {
        name: sorted(modules) for name, modules in public_classes().items() if len(modules) > 1
    }
    assert shared == {}


def test_the_check_sees_the_classes() -> None:
    classes = public_classes()
    assert classes["RequestRefused"] == {"hemsnet.errors"}
    assert classes["RequestNotAllowed"] == {"hemsnet.errors"}
    assert classes["EngineRunner"] == {"hemsnet.aio.runner"}
    assert len(classes) > 100

"""Fixtures for tests over real UDP between network namespaces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hemsnet.testbed.netns import Namespaces, can_create_namespaces, leftovers, new_tag


@pytest.fixture
def topology() -> Iterator[Namespaces]:
    reason = can_create_namespaces()
    if reason is not None:
        pytest.skip(reason)
    topo = Namespaces(new_tag())
    try:
        yield topo
    finally:
        topo.close()
    assert not [name for name in leftovers() if name.startswith(topo.tag)]

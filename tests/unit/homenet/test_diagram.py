"""docs/homenet.md shows, for each configuration, exactly the diagram the model draws."""

from __future__ import annotations

import re
from pathlib import Path

from hemsnet.homenet import CONFIGURATIONS, diagram, reference_topology

DOC = Path(__file__).parents[3] / "docs" / "homenet.md"


def test_doc_diagrams_are_the_generated_ones() -> None:
    blocks = re.findall(r"^### (\S+) .*?```mermaid\n(.*?)```", DOC.read_text(), re.M | re.S)
    assert [c for c, _ in blocks] == list(CONFIGURATIONS)
    for configuration, block in blocks:
        assert block == diagram(reference_topology(configuration)), configuration


def test_diagram_draws_every_attachment_and_route() -> None:
    topology = reference_topology("6.4.3")
    text = diagram(topology)
    assert text.count(" --- ") == len(topology.attachments)
    assert 'n_home -. "routed by gw" .- n_wan' in text
    assert 'c_battery["battery<br/>hems-appliance 0x027D"]' in text

"""The Lua dissector is generated from every class table, and refuses a codec it cannot decode."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hemsnet.devices.registry import CLASSES
from hemsnet.dissector.codecs import lua_codec, lua_string
from hemsnet.dissector.generate import generate_lua


def test_every_class_and_property_is_in_the_dissector() -> None:
    lua = generate_lua()
    for table in CLASSES.values():
        assert f"CLASSES[0x{table.class_id:04X}]" in lua
        for row in table:
            assert lua_string(row.name) in lua
    assert 'DissectorTable.get("udp.port"):add(3610, el)' in lua


def test_a_codec_without_a_lua_decoder_is_an_error_not_a_hex_dump() -> None:
    @dataclass
    class Novel:
        size: int = 1

    with pytest.raises(ValueError, match="no Lua decoder for Novel"):
        lua_codec(Novel())


def test_lua_strings_escape_quotes_and_bytes() -> None:
    assert lua_string('a "b" \\') == '"a \\34b\\34 \\92"'
    assert lua_string(b"\xff\x00") == '"\\255\\0"'
    assert lua_string("\N{MULTIPLICATION SIGN}") == '"\\195\\151"'

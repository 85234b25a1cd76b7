"""``hemsnet decode``: readable and JSON output, errors and exit codes."""

from __future__ import annotations

import io
import json

import pytest

from hemsnet.cli.main import main
from tests.conftest import load_vectors

E3_INF = "10810007028F0105FF017301E30F07E80B150A1E000012D687FFFFFFFF"


def test_text_output_names_services_objects_and_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", E3_INF]) == 0
    out = capsys.readouterr().out
    assert "TID 0x0007  INF (0x73)" in out
    assert "from 028F01 Bidirectional high-voltage smart electric energy meter" in out
    assert "to   05FF01 Controller" in out
    assert "0xE3" in out and "2024-11-21 10:30:00 normal 1234567 reverse no data" in out
    assert "kWh" in out


def test_hex_may_be_spaced_and_split_over_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "10 81 00 01 05 FF 01", "02:8F:01 62 01 80 00"]) == 0
    assert "Get (0x62)" in capsys.readouterr().out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--json", E3_INF]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["esv"] == "INF" and doc["seoj"] == "028F01"
    (prop,) = doc["properties"]
    assert prop["epc"] == "0xE3" and prop["pdc"] == 15
    assert prop["value"]["normal"] == 1234567 and prop["value"]["reverse"] is None
    assert prop["scaled_by"] == "active_energy"


def test_setget_shows_both_parts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "1081000905FF01028F016E01E1010201E700"]) == 0
    out = capsys.readouterr().out
    assert "Set part, OPCSet 1:" in out and "Get part, OPCGet 1:" in out


def test_malformed_frame_prints_the_reason_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["decode", "1081000105FF01028F0162018002"]) == 2
    err = capsys.readouterr().err
    assert "malformed frame: truncated property 1 of 1" in err
    assert "Traceback" not in err


def test_not_hex_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "hello"]) == 2
    assert "is not hexadecimal bytes" in capsys.readouterr().err


def test_stdin_one_frame_a_line_keeps_going_after_a_bad_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [v["hex"] for v in load_vectors("spec_examples.json")]
    stdin = "\n".join([lines[0], "10", "", lines[1]]) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["decode", "--json", "-"]) == 2
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [("error" in d) for d in docs] == [False, True, False]
    assert docs[1]["error"].startswith("truncated header")


def test_every_spec_example_decodes_in_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    for vector in load_vectors("spec_examples.json"):
        assert main(["decode", vector["hex"]]) == 0, vector["name"]
        assert main(["decode", "--json", vector["hex"]]) == 0, vector["name"]
    out = capsys.readouterr().out
    # Only the SetC_SNA of 12.5 carries an invalid value: the refused E1 = 100 it echoes.
    assert out.count("INVALID") == 1
    assert "INVALID 100 outside 0..99: 64" in out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("decode", "discover", "get", "set"):
        assert command in out

"""What a new user met on the command line: ``-v`` after the command, a refused history EPC
with no reason, ``export`` without ``--format``."""

from __future__ import annotations

import argparse

import pytest

from hemsnet.cli import net
from hemsnet.cli.main import build_parser
from hemsnet.echonet.eoj import parse_eoj


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "status", "--db", "x.db"],
        ["status", "--db", "x.db", "-v"],
        ["status", "-vv", "--db", "x.db"],
    ],
)
def test_verbose_goes_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.verbose == argv.count("-v") + 2 * argv.count("-vv")


def test_export_writes_csv_without_format() -> None:
    args = build_parser().parse_args(
        [
            "export",
            "--db",
            "x.db",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-21",
            "--quantity",
            "energy",
        ]
    )
    assert args.format == "csv"


def test_a_refusal_of_a_history_epc_among_others_says_why() -> None:
    args = argparse.Namespace(eoj=parse_eoj("028F01"), epcs=[0xE2, 0xE7])
    assert net._history_alone(args) == (
        "; 0xE7 is a history property, which a meter answers only alone in a request "
        "[AIF 2.4.4]: get it on its own"
    )
    alone = argparse.Namespace(eoj=parse_eoj("028F01"), epcs=[0xE7])
    assert net._history_alone(alone) == ""

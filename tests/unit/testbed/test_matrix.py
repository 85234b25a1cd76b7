"""The matrix shows expected and observed side by side and lists each difference."""

from __future__ import annotations

from hemsnet.homenet import PathRule, Protocol
from hemsnet.testbed.matrix import differences, render_matrix

RULES = [
    PathRule(s, t, p, allowed, ("home",), "G.9958 6.3.1")
    for p in Protocol
    for s, t, allowed in (("meter", "hems", True), ("hems", "meter", True),
                          ("meter", "tv", False), ("tv", "meter", False),
                          ("hems", "tv", False), ("tv", "hems", False))
]  # fmt: skip


def test_equal_matrices_pass() -> None:
    observed = {(r.source, r.target, r.protocol): r.allowed for r in RULES}
    text = render_matrix(["meter", "hems", "tv"], RULES, observed)
    assert differences(RULES, observed) == []
    assert text.endswith("observed == expected")
    assert "!" not in text


def test_a_leak_and_a_loss_are_marked_and_listed() -> None:
    observed = {(r.source, r.target, r.protocol): r.allowed for r in RULES}
    observed["tv", "meter", Protocol.ICMPV6] = True
    observed["meter", "hems", Protocol.ECHONET_UNICAST] = False
    text = render_matrix(["meter", "hems", "tv"], RULES, observed)
    lines = text.splitlines()
    assert lines[:6] == [
        "ECHONET Lite unicast (UDP 3610)",
        "             expected      observed",
        "           1   2   3     1   2   3 ",
        "meter   1  -   +   .     -   .!  . ",
        "hems    2  +   -   .     +   -   . ",
        "tv      3  .   .   -     .   .   - ",
    ]
    assert lines[-2:] == [
        "difference: echonet meter -> hems: did not get through over home, "
        "but G.9958 6.3.1 requires it",
        "difference: icmpv6 tv -> meter: got through, but G.9958 6.3.1 forbids it",
    ]

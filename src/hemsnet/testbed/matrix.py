"""The expected and the observed communication matrix, side by side, differences marked.

For each protocol, one row per source and one column per target (numbered as the rows),
expected on the left and observed on the right: ``+`` packets get through, ``.`` they do not,
``!`` after an observed cell that differs from the expectation. Below, one line per
difference with the clause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hemsnet.homenet import PathRule, Protocol

__all__ = ["Difference", "differences", "render_matrix"]

_TITLE = {
    Protocol.ECHONET_UNICAST: "ECHONET Lite unicast (UDP 3610)",
    Protocol.ECHONET_MULTICAST: "ECHONET Lite multicast (UDP 3610 to ff02::1)",
    Protocol.ICMPV6: "ICMPv6 echo",
}


@dataclass(frozen=True, slots=True)
class Difference:
    rule: PathRule
    observed: bool

    def __str__(self) -> str:
        r = self.rule
        what = f"{r.protocol.value} {r.source} -> {r.target}"
        if self.observed:
            return f"{what}: got through, but {r.clause} forbids it"
        over = " over " + ", ".join(r.via) if r.via else ""
        return f"{what}: did not get through{over}, but {r.clause} requires it"


def differences(
    rules: Sequence[PathRule], observed: Mapping[tuple[str, str, Protocol], bool]
) -> list[Difference]:
    return [
        Difference(rule, seen)
        for rule in rules
        if (seen := observed.get((rule.source, rule.target, rule.protocol), False)) != rule.allowed
    ]


def render_matrix(
    components: Sequence[str],
    rules: Sequence[PathRule],
    observed: Mapping[tuple[str, str, Protocol], bool],
) -> str:
    expected = {(r.source, r.target, r.protocol): r.allowed for r in rules}
    label = max(len(c) for c in components) + 4  # "meter  1"
    header = "".join(f"{n:>3} " for n in range(1, len(components) + 1))
    lines = []
    for protocol in Protocol:
        lines += [
            _TITLE[protocol],
            f"{'expected':>{label + len(header)}}  {'observed':>{len(header)}}",
            f"{'':{label}}{header}  {header}",
        ]
        for number, source in enumerate(components, start=1):
            left = right = ""
            for target in components:
                want = expected.get((source, target, protocol), False)
                seen = observed.get((source, target, protocol), False)
                if source == target:
                    left += "  - "
                    right += "  - "
                else:
                    left += f"  {_mark(want)} "
                    right += f"  {_mark(seen)}{'!' if seen != want else ' '}"
            lines.append(f"{source:{label - 3}}{number:>3}{left}  {right}")
        lines.append("")
    found = differences(rules, observed)
    lines += [f"difference: {d}" for d in found] or ["observed == expected"]
    return "\n".join(lines)


def _mark(arrived: bool) -> str:
    return "+" if arrived else "."

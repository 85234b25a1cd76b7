"""``hemsnet status``: what the store holds for each meter, the appliances of the HEMS
networks with their last power, and the Route C outbox, for people or as JSON (``{"meters":
[...], "appliances": [...], "routec": {...}}``)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from hemsnet.cli.common import EXIT_OK
from hemsnet.cli.export import open_existing
from hemsnet.cli.render import property_json, property_text
from hemsnet.devices.model import Access
from hemsnet.devices.registry import class_def
from hemsnet.metering.gaps import GapStatus
from hemsnet.store.model import ApplianceRecord, Gap, Meter, Reading, WireEvent
from hemsnet.store.outbox import Outbox, OutboxState
from hemsnet.store.store import Store

_WIRE_EVENTS_SHOWN: Final = 20  # the newest; the store keeps up to 10,000 per meter

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        help="summarise what the database holds for each meter",
        description="For each meter: key, address, first and last seen; per series the "
        "readings stored (and void ones) and the latest; open and unrecoverable gaps; "
        "faults (open ones marked); request statistics; the current attributes, decoded "
        "as properties of the meter's class, and the ones the meter lacks. Then the appliances "
        "found on the HEMS networks: address, EOJ, class, reachable, last power and when. "
        "Then, once Route C has been on, its outbox: records waiting for the provider and the "
        "sequence number acknowledged.",
        epilog="example: hemsnet status --db hems.db",
    )
    parser.add_argument("--db", required=True, type=Path, metavar="FILE", help="the database")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    with open_existing(args.db) as store, Outbox.open(args.db) as outbox:
        meters = store.meters()
        routec = outbox.state()
        if args.json:
            document = {
                "meters": [_as_json(store, meter) for meter in meters],
                "appliances": [_appliance_json(store, a) for a in store.appliances()],
                "routec": asdict(routec),
            }
            print(json.dumps(document, indent=2))
        else:
            blocks = [_as_text(store, meter) for meter in meters]
            if not meters:
                blocks.append([f"no meter is recorded in {args.db}"])
            appliances = store.appliances()
            if appliances:
                blocks.append(_appliances_text(store, appliances))
            if routec.enabled or routec.acked or routec.waiting:  # Route C was on once
                blocks.append([_routec_text(routec)])
            print("\n\n".join("\n".join(block) for block in blocks))
    return EXIT_OK


def _routec_text(routec: OutboxState) -> str:
    """``Route C (on): 1,234 records waiting for the provider, acknowledged up to seq 5678``."""
    return (
        f"Route C ({'on' if routec.enabled else 'off'}): {routec.waiting:,} records waiting for "
        f"the provider, acknowledged up to seq {routec.acked}"
    )


def _stamp(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _latest(reading: Reading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    return {
        "time": _stamp(reading.measured_at),
        "value": None if reading.value is None else format(reading.value, "f"),
        "unit": reading.series.unit,
        "raw": reading.raw,
        "source": reading.source.value,
    }


def _gap_json(gap: Gap) -> dict[str, Any]:
    return {"series": gap.series.value, "start": _stamp(gap.start), "end": _stamp(gap.end)}


def _as_json(store: Store, meter: Meter) -> dict[str, Any]:
    gaps = store.gaps(meter.id)
    return {
        "key": meter.key,
        "class": f"{meter.class_id:04X}",
        "address": meter.address,
        "first_seen": _stamp(meter.first_seen),
        "last_seen": _stamp(meter.last_seen),
        "series": {
            s.series.value: {"stored": s.stored, "void": s.void, "latest": _latest(s.latest)}
            for s in store.summary(meter.id)
        },
        "gaps": {
            status.value: [_gap_json(g) for g in gaps if g.status is status]
            for status in (GapStatus.OPEN, GapStatus.UNRECOVERABLE)
        },
        "gaps_filled": sum(g.status is GapStatus.FILLED for g in gaps),
        "faults": [
            {"start": _stamp(f.start), "end": _stamp(f.end), "open": f.open}
            for f in store.faults(meter.id)
        ],
        "requests": asdict(store.stats(meter.id)),
        "requests_per_hour": [
            {"hour": _stamp(hour), "sent": sent} for hour, sent in store.sent_per_hour(meter.id)
        ],
        "attributes": [
            property_json(meter.class_id, epc, edt)
            for epc, edt in sorted(store.attributes(meter.id).items())
        ],
        "absent": [f"0x{epc:02X}" for epc in sorted(store.absent(meter.id))],
        "wire_events": [_wire_json(e) for e in store.wire_events(meter.id, _WIRE_EVENTS_SHOWN)],
        "register_restarts": [_stamp(at) for at in store.restarts(meter.id)],
    }


def _wire_json(event: WireEvent) -> dict[str, Any]:
    return {
        "at": _stamp(event.at),
        "kind": event.kind,
        "series": event.series.value,
        "measured_at": _stamp(event.measured_at),
        "reason": event.reason,
        "frame": event.frame.hex(),
    }


def _appliance_json(store: Store, appliance: ApplianceRecord) -> dict[str, Any]:
    latest = store.latest_appliance_power(appliance.id)
    return {
        "key": appliance.key,
        "address": appliance.address,
        "eoj": appliance.eoj,
        "class": appliance.class_name,
        "first_seen": _stamp(appliance.first_seen),
        "last_seen": _stamp(appliance.last_seen),
        "reachable": appliance.reachable,
        "power_w": None if latest is None else latest.watts,
        "power_at": None if latest is None else _stamp(latest.measured_at),
    }


def _as_text(store: Store, meter: Meter) -> list[str]:
    lines = [
        f"meter {meter.key} at {meter.address}",
        f"  seen {_stamp(meter.first_seen)} .. {_stamp(meter.last_seen)}",
        f"  class 0x{meter.class_id:04X} ({_class_name(meter)})",
        "  readings:",
    ]
    summaries = store.summary(meter.id)
    for s in summaries:
        latest = s.latest
        last = (
            f"latest {_stamp(latest.measured_at)} {format(latest.value, 'f')} {s.series.unit}"
            if latest is not None and latest.value is not None
            else "no real reading"
        )
        lines.append(f"    {s.series.value:<23} {s.stored:>6} stored {s.void:>4} void  {last}")
    if not summaries:
        lines.append("    none")
    gaps = store.gaps(meter.id)
    filled = sum(g.status is GapStatus.FILLED for g in gaps)
    unsettled = [g for g in gaps if g.status is not GapStatus.FILLED]
    lines.append(f"  gaps: {len(unsettled)} open or unrecoverable, {filled} filled")
    lines += [
        f"    {g.status.value:<13} {g.series.value} {_stamp(g.start)} .. {_stamp(g.end)}"
        for g in unsettled
    ]
    faults = store.faults(meter.id)
    lines.append(f"  faults: {len(faults)}")
    lines += [
        f"    {_stamp(f.start)} .. {'(open)' if f.end is None else _stamp(f.end)}" for f in faults
    ]
    counters = ", ".join(f"{name} {n}" for name, n in asdict(store.stats(meter.id)).items())
    lines.append(f"  requests: {counters}")
    lines += _rate_text(store.sent_per_hour(meter.id))
    lines += _wire_text(store.wire_events(meter.id, _WIRE_EVENTS_SHOWN))
    lines.append("  attributes:")
    attributes = store.attributes(meter.id)
    absent = store.absent(meter.id)
    lines += [
        f"    {property_text(meter.class_id, epc, edt)}" for epc, edt in sorted(attributes.items())
    ]
    lines += [
        f"    0x{epc:02X}  absent ({_absence(meter.class_id, epc)})" for epc in sorted(absent)
    ]
    if not attributes and not absent:
        lines.append("    none")
    return lines


def _wire_text(events: list[WireEvent]) -> list[str]:
    """What came from the meter's address and was not believed, newest first, with the frame
    it came in (docs/threat-model.md)."""
    if not events:
        return []
    lines = [f"  not believed (the newest {len(events)}):"]
    for e in events:
        lines.append(
            f"    {_stamp(e.at)} {e.kind} {e.series.value} at {_stamp(e.measured_at)}: {e.reason}"
        )
        if e.frame:
            lines.append(f"      frame {e.frame.hex(' ')}")
    return lines


def _class_name(meter: Meter) -> str:
    table = class_def(meter.class_id)
    return table.name if table is not None else "unknown class"


def _absence(class_id: int, epc: int) -> str:
    """Why an EPC is absent: an optional one the meter lacks, or a mandatory one it refuses
    (asked again when the attributes are read, C36)."""
    table = class_def(class_id)
    row = table.get(epc) if table is not None else None
    if row is not None and row.get is Access.MANDATORY:
        return "Get_SNA of a mandatory property, asked again daily"
    return "Get_SNA"


def _rate_text(hours: list[tuple[datetime, int]]) -> list[str]:
    """The request rate a utility meter is asked at [AIF 2.4.1 note]: the last whole hour and
    the busiest one (the latest hour is still going on)."""
    whole = hours[:-1]
    if not whole:
        return []
    last_hour, last = whole[-1]
    busiest_hour, busiest = max(whole, key=lambda item: (item[1], item[0]))
    return [
        f"  requests per hour: {last} in the last whole hour ({_hour(last_hour)}), at most "
        f"{busiest} ({_hour(busiest_hour)}); one per 10 s is 360"
    ]


def _hour(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:00")


def _appliances_text(store: Store, appliances: list[ApplianceRecord]) -> list[str]:
    lines = [f"appliances: {len(appliances)}"]
    for appliance in appliances:
        latest = store.latest_appliance_power(appliance.id)
        power = (
            f"{latest.watts} W at {_stamp(latest.measured_at.replace(microsecond=0))}"
            if latest is not None
            else "no power read yet"
        )
        state = "reachable" if appliance.reachable else "unreachable"
        lines.append(
            f"  {appliance.address}  {appliance.eoj}  {appliance.class_name:<34} {state:<11}  "
            f"{power}"
        )
    return lines

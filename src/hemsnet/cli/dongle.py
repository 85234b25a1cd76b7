"""``hemsnet dongle``: a SKSTACK IP dongle on a pseudo-terminal, joined by radio to an emulated
meter, for testing a Route B controller without the hardware."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from hemsnet.aio.clock import ScaledClock
from hemsnet.aio.pty_dongle import PtyDongle
from hemsnet.cli.common import EXIT_OK, CliError, parse_local_time, parse_speed, run_until_signalled
from hemsnet.cli.meter import meter_config
from hemsnet.meter.engine import MeterEngine
from hemsnet.skstack.emulator import DongleEmulator, DongleNote, Firmware, MeterRadio, RadioSettings

__all__ = ["register"]

DEFAULT_ID = "00112233445566778899AABBCCDDEEFF"
DEFAULT_PASSWORD = "0123456789AB"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dongle = commands.add_parser(
        "dongle",
        help="emulate a Wi-SUN Route B dongle (SKSTACK IP) joined to a meter, on a pty",
        description="Open a pseudo-terminal that behaves like a SKSTACK IP dongle (BP35A1, "
        "BP35C2 or RL7023) whose radio reaches an emulated smart meter: the command set, its "
        "replies, events and errors; scans that take their time; PANA authentication against "
        "the Route B ID and password; a session that lasts, is renewed or expires; radio loss "
        "and latency; the hourly transmission-time budget. Point hemsnet controller --dongle "
        "at the path it prints. Runs until interrupted.",
        epilog="example: hemsnet dongle --pty --link /tmp/wisun (then hemsnet controller "
        "--dongle /tmp/wisun --routeb-id-file ... --routeb-password-file ...)",
    )
    dongle.add_argument("--pty", action="store_true", required=True, help="serve on a pty")
    dongle.add_argument(
        "--link", type=Path, metavar="PATH", help="a stable path (symbolic link) to the pty"
    )
    dongle.add_argument(
        "--meter-class",
        choices=("028F", "0288"),
        help="the meter behind the radio: 028F (the default) or 0288, a home's",
    )
    dongle.add_argument(
        "--firmware",
        choices=[f.value for f in Firmware],
        default=Firmware.BP35A1.value,
        help="the dialect it speaks (bp35a1)",
    )
    dongle.add_argument("--routeb-id", default=DEFAULT_ID, metavar="ID", help="the meter's ID")
    dongle.add_argument(
        "--password", default=DEFAULT_PASSWORD, metavar="PW", help="the meter's password"
    )
    dongle.add_argument("--channel", type=int, default=33, metavar="N", help="33..60 (33)")
    dongle.add_argument("--pan-id", type=lambda t: int(t, 16), default=0x8888, metavar="X")
    dongle.add_argument("--meter-mac", default="001D129012345678", metavar="M")
    radio = dongle.add_argument_group("the radio")
    radio.add_argument("--loss", type=float, default=0.0, metavar="P", help="loss each way")
    radio.add_argument("--latency", type=float, default=0.05, metavar="S", help="one way (0.05)")
    radio.add_argument(
        "--hearing-duration", type=int, default=4, metavar="D", help="least scan duration (4)"
    )
    radio.add_argument("--session-lifetime", type=float, default=86_400.0, metavar="S")
    radio.add_argument(
        "--reauth-fails", action="store_true", help="the session expires instead of renewing"
    )
    radio.add_argument("--tx-budget", type=float, default=360.0, metavar="S", help="per hour")
    meter = dongle.add_argument_group("the meter")
    meter.add_argument("--config", type=Path, metavar="FILE", help="meter.toml")
    meter.add_argument("--speed", type=parse_speed, default=1.0, metavar="N")
    meter.add_argument("--start", type=parse_local_time, metavar="ISO", help="installation time")
    meter.add_argument("--seed", type=int, default=0, metavar="N")
    dongle.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if not 33 <= args.channel <= 60:
        raise CliError("--channel is 33..60")
    if not 0 <= args.loss < 1:
        raise CliError("--loss is a probability below 1")
    try:
        radio = MeterRadio(
            args.routeb_id, args.password, args.meter_mac.upper(), args.channel, args.pan_id
        )
        radio.address  # noqa: B018 - checks the MAC
    except ValueError as exc:
        raise CliError(f"--meter-mac: {exc}") from None
    if len(args.routeb_id) != 32 or len(args.password) != 12:
        raise CliError("--routeb-id is 32 characters, --password 12")
    config = meter_config(args.config, args.meter_class)
    now = datetime.now().replace(microsecond=0)
    meter = MeterEngine(config, now=now, seed=args.seed, installed=args.start)
    settings = RadioSettings(
        loss=args.loss,
        latency=args.latency,
        hearing_duration=args.hearing_duration,
        session_lifetime=args.session_lifetime,
        reauthentication_fails=args.reauth_fails,
        tx_budget=args.tx_budget,
    )
    emulator = DongleEmulator(
        meter, radio, now=now, firmware=Firmware(args.firmware), settings=settings, seed=args.seed
    )
    clock = ScaledClock(now, args.speed)
    pty = PtyDongle(emulator, clock, link=args.link, on_events=_notes)

    async def serve(stop: asyncio.Event) -> None:
        pty.plug()
        print(
            f"hemsnet dongle: SKSTACK IP ({args.firmware}) on {pty.path}"
            f"{f' ({pty.terminal})' if args.link else ''}; meter {config.meter_class:04X}01 on "
            f"channel {radio.channel}, PAN 0x{radio.pan_id:04X}, MAC {radio.mac}; meter time "
            f"{now.isoformat()} at {args.speed:g}x",
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            pty.unplug()

    run_until_signalled(serve)
    print("hemsnet dongle: stopped", flush=True)
    return EXIT_OK


def _notes(events: Sequence[object]) -> None:
    for event in events:
        if isinstance(event, DongleNote):
            print(f"hemsnet dongle: {event.text}", flush=True)

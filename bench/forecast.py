"""How good the half-hour forecast is, against the meter emulator's own truth (not a test).

Run with ``.venv/bin/python bench/forecast.py --days 30 --seed 1 [--json]``. Virtual time,
seeded, no I/O: the meter's load model (``physics/load.py``, the office profile, 300 kW peak,
August, where the days come closest to the peak) with seeded surges (0-3 per working day,
x1.15-1.6 for 5-40 minutes between 08:00 and 18:00) gives each minute's power, which is the
meter's instantaneous power (0xE7) during that minute and the increment of its one-minute
energy (0xD0). Every 10 s of each half-hour (the controller's poll of 0xE7) the forecast
(``control/forecast.py``) is made from what the controller would know: the energy to the last
whole minute, the power now and the last three minutes of samples.

Figures, the target being the peak (300 kW):

* false alarm rate: half-hours that ended at or under the target in which an alarm was raised,
  over all half-hours that ended at or under it;
* missed alarm rate: half-hours over the target with no alarm before their last minute, over
  all half-hours over it;
* missed preventable: half-hours over the target where control could have helped and the alarm
  did not let it: a moment came when the energy so far plus the power then, held, already
  exceeded the target while a controllable load of 15 % of the peak could still remove the
  half-hour's excess in the time left, and the alarm came after that was no longer so (or never);
* false alarms near the target: the rate among half-hours that ended between 80 % and 100 %
  of the target, the only ones where a false alarm is a close call;
* the mean absolute error of the projection by minute of the period, and the share of
  projections whose band held the final demand; beside them the pace method the dashboard used
  before (energy so far / time so far).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hemsnet.control.forecast import ForecastSettings, level_of, project
from hemsnet.physics.draws import mix, uniform
from hemsnet.physics.load import LoadModel, LoadSettings, Profile, Surge
from hemsnet.physics.timeline import minute_index

PEAK_KW = 300.0
TARGET_KW = PEAK_KW
CONTROLLABLE = 0.15 * PEAK_KW  # kW a controller could shed
START = datetime(2026, 8, 3)  # a Monday
POLL_S = 10


def surges(days: int, seed: int) -> tuple[Surge, ...]:
    """0-3 seeded surges on each working day."""
    found = []
    for day in range(days):
        date = START + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        key = mix(seed, 1000 + day)
        for n in range(int(uniform(key, 0) * 4)):
            start = date + timedelta(hours=8, minutes=int(uniform(key, 10 + n) * 600))
            length = timedelta(minutes=5 + int(uniform(key, 20 + n) * 36))
            factor = 1.15 + 0.45 * uniform(key, 30 + n)
            found.append(Surge(start, start + length, factor))
    return tuple(found)


@dataclass
class Tally:
    under: int = 0
    over: int = 0
    false_alarms: int = 0
    near: int = 0
    near_false_alarms: int = 0
    missed: int = 0
    missed_preventable: int = 0
    leads: list[float] = field(default_factory=list)  # minutes left at the first alarm
    error: list[list[float]] = field(default_factory=lambda: [[] for _ in range(30)])
    pace_error: list[list[float]] = field(default_factory=lambda: [[] for _ in range(30)])
    held: int = 0
    projections: int = 0


def run(days: int, seed: int, settings: ForecastSettings) -> Tally:
    load = LoadSettings(profile=Profile.OFFICE, peak_kw=PEAK_KW, surges=surges(days, seed))
    model = LoadModel(load, seed)
    tally = Tally()
    for half in range(days * 48):
        start = START + timedelta(minutes=30 * half)
        first = minute_index(start)
        kw = [model.minute(first + m).net_w / 1000 for m in range(30)]
        actual = sum(kw) / 30
        over = actual > TARGET_KW
        alarm_left: float | None = None
        known_left: float | None = None  # time left when holding the power showed the excess
        recent: list[tuple[datetime, float]] = []
        for step in range(1, 180):
            seconds = step * POLL_S
            at = start + timedelta(seconds=seconds)
            minute = seconds // 60
            power = kw[minute]
            recent.append((at, power))
            recent = recent[-19:]
            if seconds < 60:
                continue
            energy = sum(kw[:minute]) / 60
            held_kw = energy * 3600 + power * (seconds - 60 * minute) + power * (1800 - seconds)
            if known_left is None and held_kw / 1800 > TARGET_KW:
                known_left = 1800 - seconds
            p = project(
                start,
                at,
                energy,
                power,
                recent,
                settings,
                energy_at=start + timedelta(minutes=minute),
            )
            if seconds % 60 == 0:
                tally.error[minute].append(abs(p.projected_kw - actual))
                tally.pace_error[minute].append(abs(energy * 3600 / seconds - actual))
                tally.projections += 1
                tally.held += p.low_kw <= actual <= p.high_kw
            if alarm_left is None and level_of(p, TARGET_KW, 0.9, 1.0) == "alarm":
                alarm_left = 1800 - seconds
        if over:
            tally.over += 1
            excess = (actual - TARGET_KW) * 1800
            if alarm_left is None or alarm_left < 60:
                tally.missed += 1
            else:
                tally.leads.append(alarm_left / 60)
            could = known_left is not None and CONTROLLABLE * known_left >= excess
            if could and (alarm_left is None or CONTROLLABLE * alarm_left < excess):
                tally.missed_preventable += 1
        else:
            tally.under += 1
            tally.false_alarms += alarm_left is not None
            if actual >= 0.8 * TARGET_KW:
                tally.near += 1
                tally.near_false_alarms += alarm_left is not None
    return tally


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def report(tally: Tally, days: int, seed: int) -> dict[str, object]:
    return {
        "days": days,
        "seed": seed,
        "half_hours": tally.under + tally.over,
        "over_target": tally.over,
        "false_alarm_rate": round(tally.false_alarms / max(tally.under, 1), 4),
        "false_alarms": tally.false_alarms,
        "near_target": tally.near,
        "false_alarm_rate_near": round(tally.near_false_alarms / max(tally.near, 1), 4),
        "missed_alarm_rate": round(tally.missed / max(tally.over, 1), 4),
        "missed_alarms": tally.missed,
        "missed_preventable": tally.missed_preventable,
        "mean_lead_min": _mean(tally.leads),
        "band_held": round(tally.held / max(tally.projections, 1), 4),
        "mean_error_kw_by_minute": {m: _mean(tally.error[m]) for m in (1, 2, 5, 10, 15, 20, 25)},
        "pace_error_kw_by_minute": {
            m: _mean(tally.pace_error[m]) for m in (1, 2, 5, 10, 15, 20, 25)
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= 366:
        print("bench/forecast.py: --days: give 1..366", file=sys.stderr)
        return 2
    result = report(run(args.days, args.seed, ForecastSettings()), args.days, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

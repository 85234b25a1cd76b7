"""The dashboard page in headless Chromium, against `hemsnet controller --web` reading a live
`hemsnet meter` at 60x: the charts draw what the store holds, the CSV download is what
`hemsnet export` writes, the forecast alarm follows a load surge, the health panel shows a fault.

The tests run in file order on one meter and controller (module fixture); they wait on the page
(Playwright expectations) with timeouts worked out from the meter's timeline, never on a sleep.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from hemsnet.metering.series import Series
from hemsnet.store import Store
from tests.browser.conftest import PHONE, SCREENSHOTS, Dashboard, save_readme_screenshot

pytestmark = [pytest.mark.netns, pytest.mark.browser]

# What a chart draws, by the dataset keys app.js gives them, and its category labels.
DATASETS = (
    "name => Object.fromEntries("
    "window.hemsnet.charts[name].data.datasets.map(d => [d.key, d.data]))"
)
LABELS = "name => window.hemsnet.charts[name].data.labels"
SLOT_AT_LEAST = """([end, least]) => {
    const chart = window.hemsnet.charts.demand.data;
    const slot = (chart.slotEnds || []).indexOf(end);
    const normal = chart.datasets.find(d => d.key === 'normal');
    return slot >= 0 && normal !== undefined && normal.data[slot] >= least;
}"""
SLACK_S = 20.0  # real seconds for the controller to poll and the page to be told
FAULT_TOLERANCE = timedelta(minutes=3)  # controller clock against meter clock, at 60x


def ms(seconds: float) -> float:
    return seconds * 1000


def loaded(page: Page) -> None:
    expect(page.locator("#link-state")).to_have_attribute("data-state", "up", timeout=ms(SLACK_S))
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")


def kw(text: str) -> float:
    number, unit = text.rsplit(" ", 1)
    assert unit == "kW", text
    return float(number.replace(",", ""))


def shown_day(page: Page) -> date:
    return date.fromisoformat(page.locator("#demand-date").input_value())


def export_csv(dashboard: Dashboard, start: str, end: str, *quantities: str) -> bytes:
    wanted = [arg for q in quantities for arg in ("--quantity", q)]
    done = subprocess.run(
        [sys.executable, "-m", "hemsnet", "export", "--db", str(dashboard.db), "--from", start,
         "--to", end, *wanted, "--format", "csv"],
        capture_output=True, check=True,
    )  # fmt: skip
    return done.stdout


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def test_the_page_shows_the_meter_at_laptop_and_phone_width(
    page: Page, dashboard: Dashboard
) -> None:
    loaded(page)
    expect(page.locator("#banner")).to_be_hidden()
    expect(page.locator("#now-power")).to_have_text(re.compile(r"^[\d,]+\.\d kW$"))
    for phase in ("#now-current-r", "#now-current-t"):
        expect(page.locator(phase)).to_have_text(re.compile(r"^[\d,]+\.\d A$"))
    identity = page.locator("#health-meter")
    for text in (
        dashboard.meter_key,
        "00FFFFFF000000000000000000000000",
        "HEMSNET00001",
        "0.1 kWh",
    ):
        expect(identity).to_contain_text(text)
    expect(page.locator("#month-max")).to_contain_text(" kW")
    expect(page.locator("#health-requests")).to_contain_text("Answered")
    assert kw(page.locator("#forecast-target").inner_text()) == dashboard.timeline.target_kw

    page.set_viewport_size(PHONE)
    # The charts follow their containers once the resize has reached them; then nothing may
    # stick out sideways.
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=SCREENSHOTS / "overview-phone.png", full_page=True)


def test_power_updates_live_without_a_reload(page: Page) -> None:
    loaded(page)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    power = page.locator("#now-power")
    first = power.inner_text()
    expect(power).not_to_have_text(first, timeout=ms(SLACK_S))
    expect(page.locator("#now-at")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"))
    points = page.evaluate("() => window.hemsnet.charts.now.data.datasets[0].data.length")
    assert points >= 2
    assert navigations == []


def test_demand_bars_are_the_stored_demand(page: Page, dashboard: Dashboard) -> None:
    loaded(page)
    yesterday = shown_day(page) - timedelta(days=1)  # a whole day: no half-hour still to come
    page.locator("#demand-date").fill(yesterday.isoformat())
    page.wait_for_function(
        "day => window.hemsnet.charts.demand.data.slotEnds[0].startsWith(day)",
        arg=yesterday.isoformat(),
    )
    drawn = page.evaluate(DATASETS, "demand")
    first = datetime.combine(yesterday, datetime.min.time()) + timedelta(minutes=30)
    ends = [first + timedelta(minutes=30 * i) for i in range(48)]
    with Store.open(dashboard.db) as store:
        (meter,) = store.meters()
        for key, series in (("normal", Series.DEMAND_NORMAL), ("reverse", Series.DEMAND_REVERSE)):
            stored = {
                r.measured_at: r.value
                for r in store.readings(meter.id, series, ends[0], ends[-1] + timedelta(seconds=1))
            }
            expected = [_float(stored.get(at)) for at in ends]
            assert drawn[key] == expected, key
    assert None not in drawn["normal"]
    assert drawn["target"] == [dashboard.timeline.target_kw] * 48


def test_energy_bars_are_the_daily_sums_of_hemsnet_export(page: Page, dashboard: Dashboard) -> None:
    loaded(page)
    drawn = page.evaluate(DATASETS, "energy")
    days = [date.fromisoformat(day) for day in page.evaluate(LABELS, "energy")]
    assert days[-1] == shown_day(page)
    past = days[:-1]  # today is still filling up
    # One day, one rule: --from D --to D+1 is D's 48 half-hours, ending 00:30 ... 24:00.
    rows = csv.DictReader(io.StringIO(export_csv(
        dashboard, past[0].isoformat(), days[-1].isoformat(), "energy").decode()))  # fmt: skip
    sums: dict[date, dict[str, Decimal]] = {}
    for entry in rows:
        day = (datetime.fromisoformat(entry["time"]) - timedelta(minutes=30)).date()
        for column, key in (("energy_normal_kwh", "imported"), ("energy_reverse_kwh", "exported")):
            if entry[column]:
                sums.setdefault(day, {}).setdefault(key, Decimal(0))
                sums[day][key] += Decimal(entry[column])
    for key in ("imported", "exported"):
        expected = [None if key not in sums.get(d, {}) else float(sums[d][key]) for d in past]
        assert drawn[key][:-1] == pytest.approx(expected), key
    assert sum(1 for d in past if "imported" in sums.get(d, {})) >= 2  # the history is drawn


def test_the_csv_download_is_what_hemsnet_export_writes(page: Page, dashboard: Dashboard) -> None:
    loaded(page)
    page.locator("#export-quantity input[value=reactive]").check()
    start, end = (
        page.locator("#export-from").input_value(),
        page.locator("#export-to").input_value(),
    )
    assert start < end
    with page.expect_download() as download:
        page.locator("#export-download").click()
    path = download.value.path()
    assert path.read_bytes() == export_csv(dashboard, start, end, "energy", "demand", "reactive")
    assert download.value.suggested_filename.endswith(".csv")


def test_the_health_panel_shows_the_fault_window(page: Page, dashboard: Dashboard) -> None:
    timeline = dashboard.timeline
    loaded(page)
    fault = page.locator("#health-faults tr[data-start][data-end]")
    expect(fault).to_have_count(1, timeout=ms(timeline.seconds_until(timeline.fault_end) + SLACK_S))
    start = datetime.fromisoformat(fault.get_attribute("data-start") or "")
    end = datetime.fromisoformat(fault.get_attribute("data-end") or "")
    assert abs(start - timeline.fault_start) < FAULT_TOLERANCE
    assert abs(end - timeline.fault_end) < FAULT_TOLERANCE
    expect(fault).to_contain_text(start.strftime("%Y-%m-%d %H:%M"))


def test_the_forecast_alarm_appears_when_the_load_surges(page: Page, dashboard: Dashboard) -> None:
    timeline = dashboard.timeline
    loaded(page)
    forecast = page.locator("#forecast")
    # The forecast needs a minute of the half-hour; a few more for the first D0 polls.
    by = timeline.surge_start + timedelta(minutes=5)
    expect(forecast).to_have_attribute(
        "data-level", "alarm", timeout=ms(timeline.seconds_until(by) + SLACK_S)
    )
    assert kw(page.locator("#forecast-value").inner_text()) >= timeline.target_kw
    assert kw(page.locator("#forecast-alarm").inner_text()) == timeline.target_kw
    expect(page.locator("#forecast-level")).to_contain_text("Alarm")
    save_readme_screenshot(page)


def test_the_forecast_alarm_clears_when_the_load_falls(page: Page, dashboard: Dashboard) -> None:
    timeline = dashboard.timeline
    loaded(page)
    forecast = page.locator("#forecast")
    expect(forecast).to_have_attribute("data-level", "alarm")  # still the surged half-hour
    by = timeline.surge_end + timedelta(minutes=5)
    expect(forecast).to_have_attribute(
        "data-level", "normal", timeout=ms(timeline.seconds_until(by) + SLACK_S)
    )
    assert kw(page.locator("#forecast-value").inner_text()) < 0.9 * timeline.target_kw
    # The surged half-hour is now a bar of its own, above the target line.
    day = (timeline.surge_end - timedelta(minutes=30)).date()
    if shown_day(page) != day:  # the surge ended at midnight: its bar is the day before's last
        page.locator("#demand-date").fill(day.isoformat())
    page.wait_for_function(
        SLOT_AT_LEAST, arg=[timeline.surge_end.isoformat(), timeline.target_kw], timeout=ms(SLACK_S)
    )

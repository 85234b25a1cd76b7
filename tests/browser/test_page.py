"""The page's defects a new user met, in headless Chromium against `hemsnet dashboard` on a store
these tests write (no namespaces, no root): the live chart starts with the last ten minutes,
the half-hour that just closed has its bar at once (provisional until the meter's C3), a partial
month is marked, one vocabulary (imported/exported), the appliances are listed, and the page
speaks Japanese to a Japanese browser, with a switch.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, expect

from hemsnet.metering.series import Series
from hemsnet.store.model import ApplianceReading
from tests.browser.conftest import LAPTOP, SCREENSHOTS
from tests.unit.web.stored import Stored

pytestmark = pytest.mark.browser

HALF = timedelta(minutes=30)
POWER_POINTS = 61  # every 10 s over the last 10 minutes, both ends included
SLACK_MS = 15_000
DATASETS = (
    "name => Object.fromEntries("
    "window.hemsnet.charts[name].data.datasets.map(d => [d.key, d.data]))"
)


PLAN = """
[demand]
target_kw = 5.0

[[demand.appliance]]
name = "battery"
eoj = "027D01"
action = "discharge"
priority = 1

[[demand.appliance]]
name = "aircon"
eoj = "013001"
action = "power-saving"
priority = 2
"""


@dataclass(frozen=True)
class Site:
    url: str
    closed: datetime  # the half-hour that closed last: its energy is stored, its C3 is not


def write_store(db: Path, now: datetime) -> datetime:
    """A meter at meter time 12:10 today whose answers arrived up to ``now`` (its link is up);
    the half-hour ending 12:00 without its C3. Returns that half-hour's end."""
    meter_time = datetime.combine(date.today(), datetime.min.time()) + timedelta(
        hours=12, minutes=10
    )
    closed = meter_time.replace(minute=0)
    stored = Stored(db)

    def add(series: Series, at: datetime, raw: int | None, scale: str = "0.1") -> None:
        stored.add(series, at, raw, scale=Decimal(scale), arrived=now - (meter_time - at))

    try:
        for step in range(POWER_POINTS):
            add(Series.POWER, meter_time - timedelta(seconds=10 * step), 4000 + 10 * step, "1")
        # Three whole days before today and this morning: a month the range cuts.
        at, raw = closed.replace(hour=0) - timedelta(days=3), 100_000
        while at <= closed:
            add(Series.ENERGY_NORMAL, at, raw)
            add(Series.ENERGY_REVERSE, at, None)
            if at < closed:
                add(Series.DEMAND_NORMAL, at, 42)  # 4.2 kW: the meter's own C3
            at, raw = at + HALF, raw + 21
        # The one-minute readings at the closed half-hour's ends: 1.3 kWh, so 2.6 kW.
        add(Series.MINUTE_ENERGY_NORMAL, closed - HALF, 200_000)
        add(Series.MINUTE_ENERGY_NORMAL, closed, 200_013)
        battery = stored.store.appliance(
            "fe80::5", "fe80::5", "027D01", now, class_name="Storage battery"
        )
        stored.store.record_appliance_power([ApplianceReading(battery, now, -1500, True, now)])
        # Demand control shed the battery (discharging) at 12:05: the panel and the timeline.
        action = stored.store.record_action(
            meter_time - timedelta(minutes=5),
            "battery",
            "shed",
            1,
            "projected 5.4 kW over the 5.0 kW target with 25 min 00 s left: 0.4 kW to take off",
            (0xDA, b"\x43"),
            5.0,
            (5.4, 5.9, 4.2),
            0,
        )
        stored.store.settle_action(action, "accepted", "", meter_time - timedelta(minutes=5))
        stored.store.measure_action(action, -1500, meter_time - timedelta(minutes=4))
        stored.store.record_dr_event(
            "event-1",
            "LOAD_DISPATCH/setpoint",
            4.0,
            4.0,
            (now - timedelta(minutes=5), now + timedelta(hours=1)),
            "optIn",
            now,
        )
    finally:
        stored.close()
    return closed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("page")
    db = folder / "hemsnet.db"
    closed = write_store(db, datetime.now().replace(microsecond=0))
    config = folder / "hemsnet.toml"
    config.write_text(PLAN)
    command = [
        sys.executable,
        "-m",
        "hemsnet",
        "dashboard",
        "--db",
        str(db),
        "--config",
        str(config),
    ]
    proc = subprocess.Popen(
        [*command, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()  # printed once it listens
        assert line.startswith("hemsnet dashboard: http://"), proc.stderr.read()
        yield Site(line.split()[-1], closed)
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def opened(
    browser: Browser, site: Site, request: pytest.FixtureRequest, locale: str = "en-US"
) -> Iterator[Page]:
    context = browser.new_context(viewport=LAPTOP, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site.url)
    expect(page.locator("body")).to_have_attribute("data-loaded", "true", timeout=SLACK_MS)
    try:
        yield page
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        with contextlib.suppress(Error):
            page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
        context.close()
    assert errors == []


def test_the_now_chart_starts_with_the_last_ten_minutes(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> None:
    with opened(browser, site, request) as page:
        points = page.evaluate("() => window.hemsnet.charts.now.data.datasets[0].data.length")
        assert points == POWER_POINTS  # at once, not one point per stream event
        expect(page.locator("#chart-now-empty")).to_be_hidden()


def test_the_closed_half_hour_has_its_bar_at_once_marked_provisional(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> None:
    with opened(browser, site, request) as page:
        demand = page.evaluate("() => window.hemsnet.charts.demand.data")
        slot = demand["slotEnds"].index(site.closed.isoformat())
        drawn = page.evaluate(DATASETS, "demand")
        assert drawn["normal"][slot] == pytest.approx(2.6)  # from the one-minute readings
        assert demand["provisional"][slot] is True
        assert drawn["normal"][slot - 1] == pytest.approx(4.2)  # the meter's own C3
        assert demand["provisional"][slot - 1] is False


def test_a_partial_month_is_marked_and_imported_exported_is_the_one_vocabulary(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> None:
    with opened(browser, site, request) as page:
        month = page.locator("#energy-months tr[data-complete]").first
        expect(month).to_have_attribute("data-complete", "false")
        expect(month).to_contain_text("partial")
        labels = page.evaluate("() => window.hemsnet.charts.demand.data.datasets.map(d => d.label)")
        assert "Imported, kW" in labels
        text = page.locator("body").inner_text()
        assert "Normal," not in text and "Reverse" not in text and "reverse" not in text


def test_the_appliances_the_controller_reads_are_on_the_page(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> None:
    with opened(browser, site, request) as page:
        battery = page.locator('#appliances tr[data-eoj="027D01"]')
        expect(battery).to_contain_text("Storage battery")
        expect(battery).to_contain_text("-1500")
        expect(battery).to_contain_text("on")


def test_the_control_panel_shows_why_and_pauses_an_appliance(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> None:
    with opened(browser, site, request) as page:
        summary = page.locator("#control-summary")
        expect(summary).to_contain_text("Target 5.0 kW · 1 shed now")
        expect(summary).to_contain_text("demand response now: target 4.0 kW")
        expect(summary).to_have_attribute("data-dr", "active")
        battery = page.locator('#control tr[data-name="battery"]')
        expect(battery).to_have_attribute("data-shed", "true")
        expect(battery).to_contain_text("discharge")
        expect(battery).to_contain_text("-1500")
        expect(battery).to_contain_text("12:05 shed (done): projected 5.4 kW over the 5.0 kW")
        expect(page.locator('#control tr[data-name="aircon"]')).to_contain_text("not found")
        # The decision stands on the demand chart in its half-hour, at its projection.
        marks = page.evaluate(DATASETS, "demand")["actions"]
        slot = page.evaluate("() => window.hemsnet.charts.demand.data.slotEnds").index(
            (site.closed + HALF).isoformat()
        )
        assert marks[slot] == pytest.approx(5.4)
        assert sum(1 for mark in marks if mark is not None) == 1
        # The override: paused by hand, written to the store, and handed back.
        battery.get_by_role("button", name="Pause").click()
        expect(battery).to_have_attribute("data-paused", "true")
        expect(battery).to_contain_text("paused by hand")
        battery.get_by_role("button", name="Resume").click()
        expect(battery).to_have_attribute("data-paused", "false")


def test_a_japanese_browser_gets_japanese_and_the_switch_changes_it(
    browser: Browser, site: Site, request: pytest.FixtureRequest
) -> None:
    with opened(browser, site, request, locale="ja-JP") as page:
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.locator("#now-title")).to_have_text("現在")
        expect(page.locator("#link-state")).to_have_text("正常")
        labels = page.evaluate("() => window.hemsnet.charts.demand.data.datasets.map(d => d.label)")
        assert "買電 kW" in labels
        page.locator('#lang-switch button[data-lang="en"]').click()
        expect(page.locator("#now-title")).to_have_text("Now")
        expect(page.locator("#link-state")).to_have_text("up")
        page.reload()  # the choice is kept
        expect(page.locator("#now-title")).to_have_text("Now")
        page.locator('#lang-switch button[data-lang="ja"]').click()
        expect(page.locator("#appliances-title")).to_have_text("機器")

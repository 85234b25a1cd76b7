"""One meter, one controller with its dashboard, and headless Chromium, shared by a module.

The meter and the controller run in two namespaces joined by a veth link, as in
tests/integration/test_controller_netns.py; a second veth pair reaches the controller's
namespace from the root namespace, where Chromium runs, so the page is opened over a
non-loopback address with the dashboard token, as a manager's laptop would.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    sync_playwright,
)

from hemsnet.testbed.netns import Namespaces, can_create_namespaces, leftovers, new_tag
from tests.browser.harness import SPEED, Process, Timeline, web_link

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium dials out at start, and this machine's
# closed network refuses it.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SCREENSHOTS = Path(__file__).parent / "screenshots"
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
LAPTOP = ViewportSize(width=1400, height=900)
PHONE = ViewportSize(width=390, height=844)
SEED = 7
WEB_PORT = 8080


@dataclass(frozen=True)
class Dashboard:
    url: str
    db: Path
    meter_key: str
    timeline: Timeline


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs {CHROMIUM}: `make sysdeps` installs it (Debian package chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    reason = can_create_namespaces()
    if reason is not None:
        pytest.skip(reason)
    files = tmp_path_factory.mktemp("dashboard")
    timeline = Timeline.plan(SEED)
    topology = Namespaces(new_tag())
    processes: list[Process] = []
    try:
        meter_ns, ctl_ns = topology.namespace("meter"), topology.namespace("ctl")
        meter_end, ctl_end = topology.link(meter_ns, ctl_ns)
        address = web_link(topology.tag, ctl_ns)
        token = f"browser-{topology.tag}"
        config = files / "controller.toml"
        # unpaced (C32): the meter is the emulator at 60x, whose minutes are our seconds
        config.write_text(
            f'[dashboard]\ntoken = "{token}"\ntarget_kw = {timeline.target_kw}\n'
            "[requests]\npace = 0\n"
        )
        db = files / "hemsnet.db"
        meter = Process(
            meter_ns, "meter", "--iface", meter_end.iface, "--speed", str(SPEED), "--seed",
            str(SEED), "--start", timeline.installed.isoformat(),
            "--config", str(timeline.meter_config(files / "meter.toml")),
            "--faults", str(timeline.fault_plan(files / "faults.toml")),
        )  # fmt: skip
        processes.append(meter)
        controller = Process(
            ctl_ns, "controller", "--iface", ctl_end.iface, "--speed", str(SPEED), "--db",
            str(db), "--config", str(config), "--status-every", "1",
            "--web", f"{address}:{WEB_PORT}",
        )  # fmt: skip
        processes.append(controller)
        controller.wait_for_line(lambda text: "backfill done" in text and "gaps 0 open" in text, 60)
        yield Dashboard(
            f"http://{address}:{WEB_PORT}/?token={token}", db, meter_end.address, timeline
        )
    finally:
        for process in reversed(processes):
            process.stop()
        topology.close()
    assert not [name for name in leftovers() if name.startswith(topology.tag)]


@pytest.fixture
def page(browser: Browser, dashboard: Dashboard, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The dashboard at laptop width; a screenshot of it is kept whatever the outcome, and any
    script error or CSP violation fails the test."""
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    opened.on("console", console)
    opened.goto(dashboard.url)
    try:
        yield opened
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        # A page gone with a failed test has nothing to show; that test's own error tells.
        with contextlib.suppress(Error):
            opened.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
        context.close()
    assert problems == []


def save_readme_screenshot(page: Page) -> None:
    """Copy the page to docs/dashboard.png, only when HEMSNET_UPDATE_SCREENSHOT=1: normal runs
    leave the tree clean."""
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "overview-laptop.png"
    page.screenshot(path=shot, full_page=True)
    if os.environ.get("HEMSNET_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, README_SCREENSHOT)

"""A real MQTT broker for the tests: Debian's mosquitto on a free port of 127.0.0.1, no
persistence (a restart forgets every retained message), started and stopped by the tests.

Run as root, mosquitto drops to its own ``mosquitto`` user; otherwise it runs as the tester.

:class:`ProviderBroker` is the Route C variant (docs/route-c.md): TLS with a CA and a server
certificate made by ``openssl`` in the test's folder, a password file made by
``mosquitto_passwd``, no anonymous users, and the ACL of examples/routec/ (each home writes
only its ``up/#`` and reads only its ``down/#``).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Final

import aiomqtt
import pytest

MOSQUITTO = Path("/usr/sbin/mosquitto")
STARTED_WITHIN = 10.0  # s for mosquitto to say it is running
WITHIN: Final = 15.0  # s for a message to reach a subscriber (a reconnection's back-off too)

Seen = dict[str, bytes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mosquitto:
    """One broker on one port; :meth:`stop` and :meth:`start` again keep the port."""

    def __init__(self, folder: Path, settings: str = "allow_anonymous true\n") -> None:
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n{settings}persistence false\n"
            "log_dest stderr\nlog_type error\nlog_type warning\nlog_type information\n"
        )
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        proc = subprocess.Popen(
            [str(MOSQUITTO), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        running = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line.rstrip())
                if " running" in line:
                    running.set()

        threading.Thread(target=read, daemon=True).start()
        if not running.wait(STARTED_WITHIN):
            proc.kill()
            raise AssertionError(f"mosquitto did not start: {lines[-5:]}")
        self.proc = proc

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


PASSWD = Path("/usr/bin/mosquitto_passwd")
OPENSSL = Path("/usr/bin/openssl")
ACL = Path(__file__).parent.parent / "examples" / "routec" / "acl"


class ProviderBroker(Mosquitto):
    """The provider's broker: TLS, a password per user (``users``), the Route C ACL."""

    def __init__(self, folder: Path, users: dict[str, str]) -> None:
        self.ca = _certificates(folder)
        passwords = folder / "passwd"
        passwords.touch(mode=0o600)
        for user, password in users.items():
            subprocess.run([str(PASSWD), "-b", str(passwords), user, password], check=True)
        super().__init__(
            folder,
            f"cafile {self.ca}\ncertfile {folder / 'server.crt'}\n"
            f"keyfile {folder / 'server.key'}\nallow_anonymous false\n"
            f"password_file {passwords}\nacl_file {ACL}\n"
            # As root, stay root: the test's folder is not the mosquitto user's to read.
            "user root\n",
        )

    @property
    def url(self) -> str:
        return f"mqtts://127.0.0.1:{self.port}"

    def client(self, user: str, password: str, **options: Any) -> aiomqtt.Client:
        """A client of ``user`` over TLS, trusting the test CA."""
        return aiomqtt.Client(
            "127.0.0.1",
            self.port,
            username=user,
            password=password,
            tls_context=ssl.create_default_context(cafile=str(self.ca)),
            **options,
        )


def _certificates(folder: Path) -> Path:
    """A CA and a server certificate for 127.0.0.1 signed by it; the CA's file."""

    def openssl(*args: str) -> None:
        subprocess.run([str(OPENSSL), *args], check=True, capture_output=True, cwd=folder)

    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    days = ("-days", "2")
    openssl("req", "-x509", *key, *days, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=CA")
    openssl("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName = IP:127.0.0.1\n")
    signed_by_ca = ("-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial")
    openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        *signed_by_ca,
        *days,
        "-out",
        "server.crt",
        "-extfile",
        "san.ext",
    )
    return folder / "ca.crt"


def needs_mosquitto() -> None:
    if not MOSQUITTO.exists() or shutil.which(str(MOSQUITTO)) is None:
        pytest.skip(f"needs {MOSQUITTO}: `make sysdeps` installs it (Debian package mosquitto)")


#: The users of :func:`provider_broker`, with their passwords.
ROUTEC_USERS: Final = {"provider": "provider-secret", "h1": "h1-secret", "h2": "h2-secret"}


@pytest.fixture(scope="module")
def provider_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderBroker]:
    """One Route C broker for a test module, users :data:`ROUTEC_USERS`."""
    needs_mosquitto()
    broker = ProviderBroker(tmp_path_factory.mktemp("provider-broker"), ROUTEC_USERS)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    needs_mosquitto()
    broker = Mosquitto(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


async def watch(
    broker: Mosquitto,
    until: Callable[[Seen], bool],
    *,
    filters: tuple[str, ...] = ("hemsnet/#", "homeassistant/#"),
    then: Callable[[aiomqtt.Client], Awaitable[None]] | None = None,
) -> Seen:
    """Subscribe (retained messages come at once), run ``then``, and collect the latest
    payload of each topic until ``until`` holds; fail after WITHIN seconds."""
    seen: Seen = {}
    async with aiomqtt.Client("127.0.0.1", broker.port) as client:
        for topic_filter in filters:
            await client.subscribe(topic_filter, qos=1)
        if then is not None:
            await then(client)
        try:
            async with asyncio.timeout(WITHIN):
                async for message in client.messages:
                    payload = message.payload
                    assert isinstance(payload, bytes)
                    seen[message.topic.value] = payload
                    if until(seen):
                        return seen
        except TimeoutError:
            pass
    raise AssertionError(f"not seen within {WITHIN} s; got {sorted(seen)}")

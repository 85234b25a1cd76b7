"""Route A in a testbed: the utility head-end runs ``hemsnet headend`` and reads the meter.

Where the model has a meter and a head-end on one network (the utility network, in every
reference configuration [G.9958 6.2(2)]), the head-end's namespace runs the real head-end/MDMS
(docs/route-a.md) instead of the packet-counting endpoint: ``<run dir>/headend/headend.toml``
names the meter by its link-local address on that network, the provider's token is a file of
mode 0600 beside it, the MDMS a SQLite file there, and the customer's consent to the HEMS
provider is on record from ``up`` (H23). The sharing API listens on the head-end's loopback
only: the head-end and the provider meet off premises, and no network of the testbed carries
that (H15). The meter serves this network besides its Route B one, one engine on both (H21),
and answers only its controller and this head-end (H22).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from hemsnet.routea.headend.store import MdmsStore
from hemsnet.testbed.processes import Launch
from hemsnet.testbed.routea_path import RouteA

__all__ = ["MDMS_DB", "grant_consent", "headend_launch", "write_headend_config"]

CONFIG: Final = "headend.toml"
MDMS_DB: Final = "mdms.db"
TOKEN: Final = "provider.token"
API: Final = "127.0.0.1:8610"  # loopback of the head-end's namespace: on no network (H15)
# A round every 10 s: the meter's 30-minute data changes at :00 and :30 only, but a round lost
# to a meter still starting is read again before the live check gives up.
INTERVAL: Final = 10


def write_headend_config(route: RouteA, folder: Path) -> Path:
    """The head-end's configuration and the provider's token in ``folder``; the config."""
    folder.mkdir(mode=0o700)
    token = folder / TOKEN
    token.touch(mode=0o600)
    token.write_text(secrets.token_urlsafe(32) + "\n")
    config = folder / CONFIG
    config.write_text(
        f'[headend]\ndb = "{MDMS_DB}"\ninterval = {INTERVAL}\nhistory_days = 0\ntimeout = 5\n\n'
        f'[api]\nlisten = "{API}"\n\n'
        f'[[provider]]\nname = "{route.provider}"\ntoken_file = "{TOKEN}"\n\n'
        f'[[meter]]\nid = "{route.meter_id}"\naddress = "{route.meter_address}"\n'
        f'iface = "{route.network}"\nclass = "028F"\n'
    )
    return config


def grant_consent(route: RouteA, folder: Path) -> None:
    """Record the customer's consent to share the meter's data with the provider (H23)."""
    with MdmsStore(folder / MDMS_DB) as store:
        store.register_meters([(route.meter_id, 0x028F)])
        store.grant(route.meter_id, route.home, route.provider, "hemsnet homenet up",
                    datetime.now(UTC))  # fmt: skip


def headend_launch(route: RouteA, config: Path) -> Launch:
    return Launch(
        route.headend, ("hemsnet", "headend", "run", "--config", str(config)), "hemsnet headend:"
    )

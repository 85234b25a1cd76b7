import time as _t
from datetime import datetime, timedelta
from pathlib import Path

from hemsnet.controller import ControllerConfig
from hemsnet.controller.samples import HISTORY_SERIES
from tests.unit.controller.sim import sim
from tests.unit.meter.sim import START, meter


def test_truth(tmp_path: Path) -> None:
    m = meter(installed=START - timedelta(days=10))
    cfg = ControllerConfig(instant_interval=0, minute_interval=0)
    s = sim(tmp_path, m, now=START, config=cfg, drop_to_meter=0.2, drop_to_controller=0.2)
    s.start()
    t0 = _t.time()
    s.run_for(days=7, minutes=40)
    print("wall", _t.time() - t0)
    mid = s.recorder.meter_id
    print(s.store.stats(mid))
    print(s.store.gaps(mid)[:5], len(s.store.gaps(mid)))
    print(s.controller.status)
    end = s.now - timedelta(hours=1)
    bad = 0
    for d in range(45):
        for epc, series in HISTORY_SERIES.items():
            if epc in (0xCE, 0xCF):
                continue
            hist = m.readings.day_history(epc, d)
            day = (m.now - timedelta(days=d)).date()
            midnight = datetime.combine(day, datetime.min.time())
            want = {
                midnight + timedelta(minutes=30 * i): raw
                for i, raw in enumerate(hist.slots)
                if midnight + timedelta(minutes=30 * i) < end
            }
            got = {
                r.measured_at: r.raw
                for r in s.store.readings(mid, series, midnight, midnight + timedelta(days=1))
                if r.measured_at < end
            }
            if want != got:
                bad += 1
                missing = [k for k in want if k not in got]
                wrong = [k for k in want if k in got and got[k] != want[k]]
                print(
                    d,
                    hex(epc),
                    "missing",
                    len(missing),
                    missing[:3],
                    "wrong",
                    len(wrong),
                    wrong[:3],
                )
    assert bad == 0

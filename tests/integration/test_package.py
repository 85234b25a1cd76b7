"""The package as a user installs it: ``uv build`` makes an sdist and a wheel (the wheel built
from the sdist, so a file the sdist lacks is missing from both), each installs into a clean
virtual environment with nothing of this checkout, and hemsnet runs there: its command, the
C accelerator, the dashboard's page and the reference topologies, the metadata for PyPI."""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

E3_INF = "10810007028F0105FF017301E30F07E80B150A1E000012D687FFFFFFFF"
CHECK = """
from hemsnet.echonet.frame import ACCELERATED
from hemsnet.web.app import STATIC
from hemsnet.homenet.configurations import CONFIGURATIONS
from hemsnet.homenet.topology import reference_topology
import hemsnet, pathlib
assert pathlib.Path(hemsnet.__file__).is_relative_to(pathlib.Path(__import__("sys").prefix))
assert (STATIC / "index.html").is_file() and (STATIC / "vendor" / "chart.umd.min.js").is_file()
assert len(CONFIGURATIONS) == 6 and all(reference_topology(c) for c in CONFIGURATIONS)
print(ACCELERATED, hemsnet.SmartMeter.__name__)
"""


def uv() -> list[str]:
    """uv as the Makefile runs it (python3 -m uv), else on the PATH."""
    python3 = shutil.which("python3")
    if python3:
        probe = subprocess.run([python3, "-m", "uv", "--version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [python3, "-m", "uv"]
    found = shutil.which("uv")
    if found is None:
        pytest.skip("needs uv (make install installs it)")
    return [found]


def run(*argv: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, cwd=cwd, check=False
    )
    assert done.returncode == 0, f"{argv}: {done.stderr[-2000:]}"
    return done.stdout


def test_the_sdist_and_the_wheel_install_and_run_in_a_clean_environment(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(*uv(), "build", "--quiet", "--out-dir", dist, REPO)
    (sdist,) = dist.glob("hemsnet-*.tar.gz")
    (wheel,) = dist.glob("hemsnet-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert {"aiohttp", "aiomqtt", "prometheus-client"} <= {
        r.split(">")[0].split("=")[0].strip() for r in metadata.get_all("Requires-Dist") or []
    }
    assert not any("pytest" in r for r in metadata.get_all("Requires-Dist") or [] if ";" not in r)
    assert metadata["Summary"] and metadata.get_all("Classifier")

    for package in (wheel, sdist):
        venv = tmp_path / f"venv-{package.suffix.strip('.')}"
        run(*uv(), "venv", "--quiet", "--python", sys.executable, venv)
        python = venv / "bin" / "python"
        run(*uv(), "pip", "install", "--quiet", "--python", python, package)
        away = tmp_path / "elsewhere"  # not the checkout: nothing of src/ on the path
        away.mkdir(exist_ok=True)
        assert run(python, "-c", CHECK, cwd=away).split() == ["True", "SmartMeter"]
        assert run(venv / "bin" / "hemsnet", "--version", cwd=away).strip() == "hemsnet 0.1.0"
        assert "TID 0x0007  INF" in run(venv / "bin" / "hemsnet", "decode", E3_INF, cwd=away)

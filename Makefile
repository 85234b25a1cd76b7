# hemsnet build and test entry points. `make test` works on a fresh machine from a fresh clone:
# it creates .venv with uv, installs the package with its test and lint tools, installs the
# Debian packages the tests need when they are missing, then lints, type-checks and tests.
# `make demo` installs only what hemsnet itself needs to run (no test or lint tools).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(PYTHON) -m uv
BUILD_INPUTS := pyproject.toml src/hemsnet/echonet/_speedups.c
SUM    := $(shell cat $(BUILD_INPUTS) | cksum | cut -d' ' -f1)
STAMP  := $(VENV)/.installed-$(SUM)
RUNTIME_STAMP := $(VENV)/.runtime-$(SUM)

.PHONY: test demo provider-demo lint typecheck pytest install install-runtime sysdeps bench clean

test: install sysdeps lint typecheck pytest

install: $(STAMP)

$(STAMP): $(BUILD_INPUTS)
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python -e '.[test,lint]'
	@rm -f $(VENV)/.installed-* && touch $@

# A meter emulator, the controller and the dashboard on the IPv6 loopback; no root needed.
demo: install-runtime
	$(BIN)/hemsnet demo

# A broker, PostgreSQL, hemsnet provider and five simulated homes on this machine (docs/fleet.md).
provider-demo: install-runtime
	$(UV) pip install --quiet --python $(BIN)/python -e '.[provider]'
	@scripts/ensure-debian-packages mosquitto postgresql openssl
	$(BIN)/hemsnet provider-demo

install-runtime: $(RUNTIME_STAMP)

# hemsnet and its dependencies only; a .venv that `make install` made has them already.
$(RUNTIME_STAMP): $(BUILD_INPUTS)
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	@[ -e $(STAMP) ] || $(UV) pip install --quiet --python $(BIN)/python -e .
	@rm -f $(VENV)/.runtime-* && touch $@

sysdeps:
	@scripts/ensure-debian-packages iproute2 procps nftables chromium mosquitto tshark postgresql openssl  # ip netns, sysctl, nft: namespace tests; chromium: browser tests; mosquitto: MQTT tests; postgresql: the provider's tests; tshark (and its text2pcap, dumpcap): the dissector tests

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy --strict src

pytest: install
	HEMSNET_REQUIRE_SPEEDUPS=1 $(BIN)/pytest

bench: install
	$(UV) pip install --quiet --python $(BIN)/python -e '.[bench]'
	$(BIN)/python bench/codec.py
	$(BIN)/python bench/meter.py
	$(BIN)/python bench/controller.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/sse.py --max-streams 2500
	$(BIN)/python bench/loop_stall.py --slow-fsync 20
	$(BIN)/python -m bench.uplink
	$(BIN)/python bench/conformance.py
	$(BIN)/python -m bench.provider

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis

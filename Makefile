# stackops.hardened — every set-up step a new machine needs is done from here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
VENV        := $(ROOT)/.venv
BIN         := $(VENV)/bin
PYTHON      ?= python3
STAMP       := $(VENV)/.installed
COLLECTIONS := $(ROOT)/.cache/collections
LINK        := $(COLLECTIONS)/ansible_collections/stackops/hardened

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR := false
export PATH := $(BIN):$(PATH)

# Scenarios run by `make test`, longest first, in JOBS lanes (scripts/molecule-lanes.sh);
# `make molecule S=baseline` runs one. Two scenarios are run on their own, not by `make test`,
# until they fit its 50-minute budget on 2 cores: `faults` (site.yml cut at seeded points on
# one host, its live state compared with a host converged without cuts, then drift repaired)
# and `release` (deploys, rollbacks and the private registry through scripts/ci-deploy.sh).
SCENARIOS ?= site nginx monitoring baseline swarm rotate stack backup nginx-refusals firewall docker stack-refusals \
             backup-refusals firewall-refusals swarm-refusals docker-refusals baseline-nokey
JOBS ?= 2
S ?= baseline

.PHONY: help setup venv docker images collection lint sanity unit molecule molecule-all \
        checks test demo demo-clean bench bench-scan bench-backup bench-alert bench-faults bench-policy bench-deploy report rules-test \
        changelog build clean

help:
	@echo "make demo        start a local Debian host container and run site.yml on it"
	@echo "make demo-clean  remove what make demo started"
	@echo "make test        lint, sanity, unit tests and every Molecule scenario"
	@echo "make molecule S=baseline   one Molecule scenario (reuses images and venv)"
	@echo "make bench       time site.yml on the dev host (first run, idempotent re-run)"
	@echo "make bench-scan  port_scan against nmap on a host that resets and one that drops"
	@echo "make bench-backup  back up a 1 GiB database vs pg_dump | gzip, and time its restore"
	@echo "make bench-policy  time the stack policy gate on a 200-service stack and on a 30 KB command"
	@echo "make bench-faults  cut site.yml at every tenth task, each on a fresh host; how many converge"
	@echo "make bench-deploy  a one-service image change through deploy.yml and a broken one rolled back: seconds, failed requests"
	@echo "make rules-test  promtool test rules for every alert of the monitoring role"
	@echo "make bench-alert seconds from injected failure to Telegram message per class, and the RSS of monitoring"
	@echo "make report      the proofs on the dev host of make demo, and the bench figures: docs/figures/<version>.md"

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(STAMP)

collection: $(LINK)
$(LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(ROOT) $@

docker:
	@scripts/ensure-docker.sh
	@scripts/ensure-host-tools.sh

images: docker
	@tests/images/build.sh
	@tests/images/demo/build.sh

setup: venv collection images

lint: venv collection
	$(BIN)/ansible-lint --profile production

sanity: venv
	@scripts/sanity.sh

unit: venv collection
	$(BIN)/python -m pytest tests/unit -q

rules-test: venv
	@tests/monitoring/run.sh

molecule: setup
	cd $(ROOT) && $(BIN)/molecule test -s $(S)

molecule-all: setup
	@scripts/molecule-lanes.sh $(JOBS) $(SCENARIOS)

# lint, sanity, unit and rules-test are independent of each other: `make test` runs them two
# at a time, each one's output printed together when it ends.
checks: venv collection
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint sanity unit rules-test

test: setup checks molecule-all

demo: setup
	@scripts/demo.sh up

demo-clean:
	@scripts/demo.sh clean

bench: setup
	@$(BIN)/python scripts/bench.py

bench-scan: setup
	@scripts/ensure-host-tools.sh nmap curl
	@$(BIN)/python scripts/bench_scan.py

changelog: venv
	$(BIN)/antsibull-changelog release

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path $(ROOT)/.cache/dist

clean:
	rm -rf $(ROOT)/.cache

bench-backup: setup
	@scripts/ensure-host-tools.sh age
	@$(BIN)/python scripts/bench_backup.py

bench-alert: setup
	@$(BIN)/python scripts/bench_alert.py

bench-faults: setup
	@$(BIN)/python scripts/bench_faults.py

bench-policy: venv collection
	@$(BIN)/python scripts/bench_policy.py

bench-deploy: setup
	@$(BIN)/python scripts/bench_deploy.py

report: setup
	@$(BIN)/python scripts/report.py

# Every target installs what it needs, so `make dev` and `make test` work on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_VERSION := 24.21.0
TOOLS := $(CURDIR)/.tools
# The project targets Node 24; an older system node (these machines ship 20) gets Node 24 from
# the npm registry's `node` package, put first on PATH for every recipe (npm included).
SYSTEM_NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
ifeq ($(shell [ "$(SYSTEM_NODE_MAJOR)" -ge 24 ] && echo yes),yes)
NODE_DEP :=
else
NODE_DIR := $(TOOLS)/node-$(NODE_VERSION)
NODE_DEP := $(NODE_DIR)/node_modules/node/bin/node
export PATH := $(NODE_DIR)/node_modules/node/bin:$(PATH)
endif

IMAGE ?= cloudnet-operator:dev

.PHONY: help install test-deps build typecheck lint test test-real dev run crds crds-check bench docker-build clean

help:
	@echo "make dev          control plane + simulated clouds + operator, with the examples"
	@echo "make test         typecheck, lint and every test"
	@echo "make test-real    the parity and scenario suites against real Keystone + Neutron"
	@echo "make build        the operator bundled into dist/main.js"
	@echo "make run          the operator against \$$KUBECONFIG"
	@echo "make crds         regenerate crds/ from src/api"
	@echo "make bench        benchmarks, JSON results in bench/results/"
	@echo "make docker-build the container image"

$(NODE_DEP):
	@mkdir -p $(NODE_DIR)
	cd $(NODE_DIR) && echo "{}" > package.json && npm install --no-save --no-package-lock --no-audit --no-fund node@$(NODE_VERSION) >/dev/null
	@$(NODE_DEP) --version

node_modules/.package-lock.json: package-lock.json $(NODE_DEP)
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

# The real `openstack` CLI checks that the OpenStack simulator answers it as Neutron does.
OPENSTACK_CLI := /usr/bin/openstack
$(OPENSTACK_CLI):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-openstackclient >/dev/null

test-deps: install $(OPENSTACK_CLI)

build: install
	npm run --silent build

typecheck: install
	npm run --silent typecheck

lint: install
	npm run --silent lint

crds: install
	node scripts/gen-crds.ts

crds-check: install
	node scripts/gen-crds.ts --check

test: test-deps typecheck lint
	npx vitest run

# Real-cloud tier: real Keystone + Neutron + Nova (fake virt driver), Placement, Glance and RabbitMQ
# from Debian packages on 127.0.0.1 (REAL_PROFILE=network: Keystone + Neutron only, the Server
# scenarios skipped), state in CLOUDNET_REAL_DIR (default /tmp/cloudnet-real). The simulator-parity tests (test/real), then the scenario suite against the
# real backend, one file at a time (they share the demo project). Stops what it started, also on
# failure or interrupt; an environment that was already running is used and left running.
REAL_PROFILE ?= full
test-real: install
	PROFILE=$(REAL_PROFILE) bash test/real/openstack.sh install
	@set -e; export PROFILE=$(REAL_PROFILE); \
	if bash test/real/openstack.sh status >/dev/null 2>&1; then started=0; else started=1; fi; \
	trap '[ $$started = 0 ] || bash test/real/openstack.sh stop' EXIT; trap 'exit 130' INT TERM; \
	bash test/real/openstack.sh up; bash test/real/openstack.sh purge; \
	eval "$$(bash test/real/openstack.sh env)"; \
	CLOUDNET_REAL=1 npx vitest run test/real; \
	bash test/real/openstack.sh purge; \
	CLOUDNET_TEST_BACKEND=real npx vitest run --no-file-parallelism test/scenarios; \
	bash test/real/openstack.sh purge --expect-empty

dev: install
	node dev/dev.ts

run: install
	node src/main.ts $(ARGS)

bench: build
	node --expose-gc bench/run.ts $(ARGS)

docker-build:
	docker build -t $(IMAGE) .

clean:
	rm -rf dist .dev

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

.PHONY: help install test-deps build typecheck lint test test-real dev run generate generate-check crds api-docs argocd prometheus install-manifest bench image image-test image-clean clean

help:
	@echo "make dev          control plane + simulated clouds + operator, with the examples"
	@echo "make test         typecheck, lint and every test"
	@echo "make test-real    the parity and scenario suites against real Keystone + Neutron"
	@echo "make build        the operator bundled into dist/main.js"
	@echo "make run          the operator against \$$KUBECONFIG"
	@echo "make generate     every generated file from its source (crds/, docs/api.md, config/argocd, the PrometheusRule, deploy/install.yaml)"
	@echo "make bench        benchmarks, JSON results in bench/results/"
	@echo "make image        the container image cloudnet-operator:<package.json version>, from the Dockerfile with buildah (no Docker engine)"
	@echo "make image-test   the image run with podman against the local control plane and the simulator"

$(NODE_DEP):
	@mkdir -p $(NODE_DIR)
	cd $(NODE_DIR) && echo "{}" > package.json && npm install --no-save --no-package-lock --no-audit --no-fund node@$(NODE_VERSION) >/dev/null
	@$(NODE_DEP) --version

node_modules/.package-lock.json: package-lock.json $(NODE_DEP)
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json

# Real tools the tests run, from Debian's packages: the `openstack` CLI checks that the OpenStack
# simulator answers it as Neutron does; lua5.1 runs the Argo CD health checks (Argo CD's gopher-lua
# has Lua 5.1 semantics); promtool (package prometheus) checks the alert rules and a /metrics scrape.
TEST_TOOLS := /usr/bin/openstack /usr/bin/lua5.1 /usr/bin/promtool
TEST_PACKAGES := python3-openstackclient lua5.1 prometheus
$(TEST_TOOLS) &:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_PACKAGES) >/dev/null

test-deps: install $(TEST_TOOLS)

build: install
	npm run --silent build

typecheck: install
	npm run --silent typecheck

lint: install
	npm run --silent lint

# Generated files, each from one source; a test fails when one is stale (`make generate-check`
# runs the same checks alone). deploy/install.yaml embeds crds/, so it comes after them.
crds: install
	node scripts/gen-crds.ts

api-docs: install
	node scripts/gen-api-docs.ts

argocd: install
	node scripts/gen-argocd.ts

prometheus: install
	node scripts/gen-prometheus.ts

install-manifest: install crds
	node scripts/gen-install.ts

generate: crds api-docs argocd prometheus install-manifest

generate-check: install
	@for script in gen-crds gen-api-docs gen-argocd gen-prometheus gen-install; do node scripts/$$script.ts --check || exit 1; done

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

# The container image without a Docker engine (root only): buildah builds the Dockerfile on its base
# image, made here when missing (Debian minbase from debootstrap + Node.js from the npm registry,
# scripts/image/base.sh); state and caches in .tools/image. IMAGE_BUILD_ARGS=--no-cache: every step again.
IMAGE_TOOLS := /usr/bin/buildah /usr/bin/podman /usr/sbin/runc /usr/sbin/debootstrap
$(IMAGE_TOOLS) &:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah podman runc debootstrap >/dev/null

image: $(NODE_DEP) $(IMAGE_TOOLS)
	bash scripts/image/build.sh $(IMAGE_BUILD_ARGS)

# The image as a cluster runs it (read-only root, uid 65532, no capabilities), with podman, against
# the local API server and OpenStack simulator: ready, leader, examples/openstack Ready, exit 0 on SIGTERM.
image-test: install image
	bash scripts/image/test.sh

image-clean:
	bash scripts/image/clean.sh

clean:
	rm -rf dist .dev

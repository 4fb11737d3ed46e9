# Lanyard: build, test and maintenance tasks. `make` alone lists them.
#
# GNU make. The console (bin/lanyard) is a cgo program (Fyne/GLFW) and needs
# the Debian packages in BUILD_DEPS; the agent (bin/lanyard-agent) is built
# with CGO_ENABLED=0 and needs nothing but Go.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
MODULE   := github.com/lanyard/lanyard
ifeq ($(origin VERSION),undefined)
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
endif
LDFLAGS  := -X $(MODULE)/core/version.Version=$(VERSION)
FUZZTIME ?= 30s
ARGS     ?=

# Debian packages the console's cgo build needs (see shared FACTS).
BUILD_DEPS := gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev \
              libxinerama-dev libxi-dev libxxf86vm-dev

STATICCHECK   := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
PROTOC_GEN_GO := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
TOOLS         := $(CURDIR)/bin/tools

.PHONY: help deps build run test test-long test-internet bench fuzz generate clean dist deb deb-agent deb-console test-deb test-crash test-crash-console test-fleet-kill

help: ## List the targets
	@echo "Usage: make TARGET [VERSION=...] [FUZZTIME=30s] [ARGS='...']"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## Install the Debian packages the cgo build needs (only those missing)
	@scripts/deps $(BUILD_DEPS)

build: deps ## Build bin/lanyard (console, cgo) and bin/lanyard-agent (CGO_ENABLED=0)
	@echo "==> bin/lanyard $(VERSION) (console, cgo; the first build takes about 2.5 minutes)"
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/lanyard .
	@echo "==> bin/lanyard-agent $(VERSION) (agent, CGO_ENABLED=0)"
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/lanyard-agent ./service/lanyard-agent

run: build ## Build, then open the console (default data dir; pass flags in ARGS)
	./bin/lanyard $(ARGS)

# go vet compiles every package; go test -race then builds only the packages
# that have tests: `go test ./...` would also build main under -race, and so
# compile GLFW's C code a second time (about 2.5 minutes on a cold cache).
# -count=1: the end-to-end tests build and run the binaries themselves, which
# go test's cache cannot see, so a cached pass could hide a broken binary.
test: deps ## gofmt, go vet, staticcheck, agent-is-headless check, the agent and core vetted for Windows and macOS, go test -race
	@echo "==> [1/5] gofmt -l (must list nothing)"
	@files=$$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path '*/testdata/*' -print0 \
		| xargs -0 -r gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt: these files need gofmt -w:"; echo "$$files"; exit 1; fi
	@echo "==> [2/5] go vet ./..."
	$(GO) vet ./...
	@echo "==> [3/5] staticcheck ./..."
	$(STATICCHECK) ./...
	@echo "==> [4/5] the agent is headless: no Fyne or GL among its imports, builds with CGO_ENABLED=0"
	@deps=$$($(GO) list -deps ./service/lanyard-agent); \
	if gui=$$(grep -E '^fyne.io/|go-gl/' <<<"$$deps"); then \
		echo "FAIL: ./service/lanyard-agent imports GUI packages:"; echo "$$gui"; exit 1; fi
	CGO_ENABLED=0 $(GO) build -o /dev/null ./service/lanyard-agent
	@echo "==> [4/5] the agent's packages and the console's headless ones (core, internal), tests included, vet on the other systems they ship for"
	@pkgs=$$( { $(GO) list -deps ./service/lanyard-agent | grep '^$(MODULE)/'; $(GO) list ./core/... ./internal/...; } | sort -u); \
	for p in $(filter-out linux/%,$(DIST_PLATFORMS)); do \
		echo "GOOS=$${p%/*} GOARCH=$${p#*/} go vet ($$(wc -w <<<"$$pkgs") packages)"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet $$pkgs || exit 1; \
	done
	@echo "==> [5/5] go test -race ./... (the packages that have tests)"
	@pkgs=$$($(GO) list -e -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); \
	if [ -z "$$pkgs" ]; then echo "go test: no package has tests"; exit 0; fi; \
	echo "$(GO) test -race -count=1 -timeout 12m" $$pkgs; \
	$(GO) test -race -count=1 -timeout 12m $$pkgs

# The backup benchmarks measure rsync and restic beside Lanyard's engine.
BENCH_DEPS := rsync restic

# One package at a time (-p 1), so that no benchmark shares the cores with
# another. BENCH_QUICK=1 runs the quick forms (under 5 minutes); BENCH_FLEET
# sets the simulated fleet's size (default 10,000 and then 19,000; quick
# 1,000).
bench: deps ## Every benchmark once: BENCH lines (figure, baseline, ratio, target), bench/results.json (raw: bin/bench.txt)
	@scripts/deps $(BENCH_DEPS)
	@mkdir -p bin bench
	@echo "==> go test -bench . -benchtime 1x -p 1 ./... (raw output in bin/bench.txt)"
	$(GO) test -run '^$$' -bench . -benchtime 1x -p 1 -timeout 45m ./... 2>&1 | tee bin/bench.txt \
		| $(GO) run ./internal/benchtable/benchjson -o bench/results.json

test-long: ## The long forms of tests whose quick forms make test runs (a minute of junk proofs against one agent)
	LANYARD_TEST_LONG=1 $(GO) test -race -count=1 -timeout 10m -run 'TestStrangersGuessingANameCannotLockOutItsConsole' ./core/link/

# make test runs it too, where it can (as root, with ip and nft); here a
# machine that cannot build the namespaces fails instead of skipping.
test-internet: deps ## As root: the customer site on the Internet in network namespaces, real binaries (~45 s); needs nftables
	@scripts/deps iproute2 nftables
	LANYARD_TEST_INTERNET=1 $(GO) test -count=1 -v -timeout 10m -run 'TestTheCustomerSiteOnTheInternet|TestALab|TestSweep' ./app/ ./internal/netlab/

fuzz: deps ## Run every fuzz target for FUZZTIME each (default 30s)
	@GO="$(GO)" scripts/fuzz $(FUZZTIME)

generate: ## Regenerate protobuf code (needs protoc; installs protobuf-compiler if missing)
	@command -v protoc >/dev/null 2>&1 || scripts/deps protobuf-compiler
	@command -v protoc >/dev/null 2>&1 || { echo "generate: protoc not found; install protobuf-compiler (Debian) or protobuf (elsewhere)"; exit 1; }
	GOBIN=$(TOOLS) $(GO) install $(PROTOC_GEN_GO)
	protoc --plugin=protoc-gen-go=$(TOOLS)/protoc-gen-go \
		--go_out=. --go_opt=module=$(MODULE) core/wire/pb/lanyard.proto

# The agent's release builds: CGO_ENABLED=0, no paths or symbols, stamped
# with VERSION. The .debs are built by scripts/deb (with nfpm, fetched
# from the Go module proxy on first use; go.mod is not touched), which
# also says what Debian version VERSION becomes.
DIST_PLATFORMS := linux/amd64 linux/arm64 windows/amd64 darwin/arm64
DEB_ARCHES     := amd64 arm64
DEB_VERSION    := $(shell VERSION='$(VERSION)' scripts/deb version)
# What scripts/deb needs beyond the console's build: dpkg-shlibdeps works
# out the console's Depends.
DEB_DEPS       := dpkg-dev
# What the package test needs: lintian, the desktop-entry checker, man.
DEB_TEST_DEPS  := lintian desktop-file-utils man-db

dist: ## Build the agent for linux, windows, darwin into dist/, plus .deb packages and checksums
	@mkdir -p dist && rm -f dist/lanyard-agent-* dist/lanyard-agent_*
	@for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; if [ "$$os" = windows ]; then ext=.exe; fi; \
		out=dist/lanyard-agent-$(VERSION)-$$os-$$arch$$ext; \
		echo "==> $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $$out ./service/lanyard-agent; \
	done
	@$(MAKE) --no-print-directory deb-agent VERSION=$(VERSION)
	@cd dist && sha256sum -- lanyard-agent-$(VERSION)-* lanyard-agent_$(DEB_VERSION)_*.deb > lanyard-agent-$(VERSION).sha256
	@ls -l dist/lanyard-agent*

deb: deb-agent deb-console ## Build the .debs: lanyard-agent (amd64, arm64) and lanyard, the console (this machine's arch)

deb-agent: ## Build only dist/lanyard-agent_VERSION_ARCH.deb (amd64, arm64)
	@mkdir -p dist
	@for arch in $(DEB_ARCHES); do \
		GO="$(GO)" VERSION="$(VERSION)" scripts/deb lanyard-agent $$arch; \
	done

deb-console: deps ## Build only dist/lanyard_VERSION_ARCH.deb, the console (cgo: ~2.5 min the first time)
	@scripts/deps $(DEB_DEPS)
	@mkdir -p dist
	@GO="$(GO)" VERSION="$(VERSION)" scripts/deb lanyard

# make test runs the crash test's quick form (3 kills).
CRASH_ITERATIONS ?= 20

test-crash: ## Kill -9 the real agent mid-backup CRASH_ITERATIONS times (default 20); then every snapshot must verify
	LANYARD_CRASH_ITERATIONS=$(CRASH_ITERATIONS) $(GO) test -count=1 -v -timeout 15m -run 'TestKillingTheAgentMidRunLosesNoSnapshot' ./service/

# make test runs the quick forms: 3 kills of the appending console, and a
# fleet of 40.
test-crash-console: ## Kill -9 a console mid-storm of log appends CRASH_ITERATIONS times (default 20); every acknowledged append must be there
	LANYARD_CONSOLE_CRASH_ITERATIONS=$(CRASH_ITERATIONS) $(GO) test -count=1 -v -timeout 10m -run 'TestKillingTheConsoleMidStormLosesNoAcknowledgedAppend' ./core/store/

FLEET ?= 10000

test-fleet-kill: deps ## Kill -9 the real console holding FLEET simulated links (default 10,000), restart: all back once, times logged
	LANYARD_FLEET_KILL=$(FLEET) $(GO) test -count=1 -v -timeout 15m -run 'TestKillingTheConsoleHoldingAFleetBringsEveryLinkBackOnce' ./app/

test-deb: deps ## As root: build both .debs, lintian them, install, check and purge them (~2 min; the first console build adds 2.5-5)
	@scripts/deps $(DEB_DEPS) $(DEB_TEST_DEPS)
	LANYARD_TEST_DEB=full $(GO) test -count=1 -v -timeout 20m -run 'TestDebianPackages' ./packaging/

clean: ## Remove bin/ and dist/ (binaries, tools, bench output, packages)
	rm -rf bin dist lanyard lanyard-agent

-include gui.mk

# Herald's build. `make test` is what CI runs (.ci/run); see README.md.
GO       ?= go
BIN      ?= bin
FUZZTIME ?= 10s
PKGS     := ./...

.PHONY: all build test vet race node_modules bench bench-compare bench-smoke run fuzz conformance clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

# Every test, race detector on, including the Node.js end-to-end tests,
# then a smoke run of the side-by-side benchmark harness.
test: vet node_modules
	$(GO) test -race -count=1 -timeout 15m $(PKGS)
	$(MAKE) bench-smoke

# Herald, Node.js and zishang520 side by side, full scale (about 30
# minutes): writes bench/results/RESULTS.md and its charts.
bench-compare:
	bash bench/compare.sh

# Every scenario of bench-compare at a tiny scale; asserts only that each
# completed, for every server.
bench-smoke:
	bash bench/compare.sh --quick

# Go benchmarks of the hot paths, with allocations.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# The embedded default: one node, in memory, on 127.0.0.1.
run: build
	$(BIN)/herald serve

# A short run of every fuzz target (FUZZTIME each).
fuzz:
	@set -e; for pkg in $$($(GO) list -f '{{.Dir}}' $(PKGS)); do \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$pkg/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$t"; \
	    (cd $$pkg && $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) .); \
	  done; \
	done

conformance: build
	$(BIN)/conformance -addr 127.0.0.1:3000

clean:
	rm -rf $(BIN)

.PHONY: test build install bench bench-quick bench-go bench-live run generate check-generated lint explain soak ha-test

GO ?= go

# The whole suite. `go test` prints nothing of a passing package, so tests
# skipped for want of PostgreSQL (internal/pgtest) would go unseen: each
# appends a line to the file PGTEST_SKIP_REPORT names, and a banner listing
# them follows the run. The exit status is go test's (with CI set, such
# tests fail instead of skipping).
test:
	@report=$$(mktemp) && \
	PGTEST_SKIP_REPORT=$$report $(GO) test -count=1 ./...; status=$$?; \
	if [ -s "$$report" ]; then \
		echo "********************************************************************"; \
		echo "SKIPPED $$(wc -l <"$$report") PostgreSQL tests: no PostgreSQL server available:"; \
		echo "  $$(head -n 1 "$$report" | cut -f 3)"; \
		echo "  by package: $$(cut -f 1 "$$report" | sort | uniq -c | awk '{printf "%s (%s) ", $$2, $$1}')"; \
		echo "Install PostgreSQL (initdb and postgres) or set TEST_DATABASE_URL."; \
		echo "********************************************************************"; \
	fi; \
	rm -f "$$report"; exit $$status

# The auditgraph binary, built into ./auditgraph (ignored by git).
build:
	$(GO) build -o auditgraph ./cmd/auditgraph

# Installs auditgraph into $$(go env GOPATH)/bin.
install:
	$(GO) install ./cmd/auditgraph

# The load benchmark (cmd/bench): builds (through auditgraph import)
# or reuses a dataset on PostgreSQL (DATABASE_URL, or a private server from
# the local binaries), starts the real server, measures each case against
# its floor (the server's SQL through pgx), and writes its report to
# bench/results/.
bench:
	go run ./cmd/bench -scale 1000000 -duration 30s -concurrency 2,16 -import-entries 500000

bench-quick:
	go run ./cmd/bench -scale 100000 -duration 10s -warmup 1s -concurrency 2,16 -ingest 3s -import-entries 100000

# Go micro-benchmarks (cursor codec, rendering, a page resolver), allocations reported.
bench-go:
	go test -count=1 -run '^$$' -bench . -benchmem ./...

run:
	go run ./cmd/auditgraph

generate:
	go tool gqlgen generate

# staticcheck is pinned to a version the module proxy serves; go run
# fetches it once into the module cache, without touching go.mod.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt -l: files need formatting:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...
	@$(MAKE) -s check-generated

# The generated GraphQL code must be what the committed schema makes:
# regenerates and fails when graph/ differs from what is committed.
check-generated:
	go tool gqlgen generate
	@git diff --exit-code --stat -- graph/ gqlgen.yml || { echo "graph/: generated code is stale: run make generate and commit it"; exit 1; }

# Runs cmd/explain, which comes with the store (db).
explain:
	go run ./cmd/explain

# The soak test (cmd/soak): the real server on PostgreSQL (DATABASE_URL, or a
# throwaway server from the local binaries) under a mixed read and ingest load
# at concurrency 32; SOAK_DURATION sets how long (default 5m), SOAK_ABUSIVE how
# many abusive clients (the abuse rows: costly documents, made-up keys, unique
# operation names) run beside the normal ones (default 0).
SOAK_DURATION ?= 5m
soak:
	go run ./cmd/soak -duration $(SOAK_DURATION)

# The failover test on pg_auto_failover (cmd/hatest), not part of `make
# test`: installs Debian's postgresql-15-auto-failover when pg_autoctl is
# missing, builds a monitor and two synchronously replicated nodes, writes
# under load, kills the primary and counts acknowledged against stored.
ha-test:
	@command -v pg_autoctl >/dev/null || { apt-get update && apt-get install -y postgresql-15-auto-failover; }
	$(GO) run ./cmd/hatest
# The live subscriptions and export benchmark (cmd/benchlive): 1,000
# WebSocket subscribers with writes at 500 entries/s, then the export of a
# 1,000,000-entry history, against a real server process on PostgreSQL.
bench-live:
	go run ./cmd/benchlive -subscribers 1000 -rate 500 -duration 30s -export 1000000

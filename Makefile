.PHONY: test bench run generate lint explain

test:
	go test -count=1 ./...

bench:
	go test -count=1 -run '^$$' -bench . ./...

run:
	go run ./cmd/auditgraph

generate:
	go run github.com/99designs/gqlgen generate

lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt -l: files need formatting:"; echo "$$out"; exit 1; fi
	go vet ./...

# Runs cmd/explain, which comes with the store (db).
explain:
	go run ./cmd/explain

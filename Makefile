# Relais: everyday tasks. CI runs `make test` through .ci/run, which first
# makes sure PostgreSQL answers on 127.0.0.1:5432.

GO  ?= go
BIN ?= bin/relais

.PHONY: test build run

# Formatting, vet, then every test with the race detector; -count=1 so a
# cached pass never hides a database that changed underneath.
test:
	@files="$$(gofmt -l .)"; \
	if [ -n "$$files" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# A static binary, as the Dockerfile builds it.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN) ./cmd/relais

# The local demo: starts PostgreSQL if needed, then migrates, loads the
# fictional data and opens the console.
run:
	./scripts/ensure-postgres.sh
	$(GO) run ./cmd/relais demo

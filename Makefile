# MedExpress RPC. `make run` serves with the embedded store; `make test` runs every test.
SWIFT_BUILD_FLAGS ?=
BIN_DEBUG := .build/debug/medexpress
DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:50051

.PHONY: deps build release run test test-swift test-python generate check-generated bench bench-journey clean

deps:
	@bash scripts/install-deps.sh

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

run: build
	bash scripts/demo-data.sh $(DATA_DIR) $(BIN_DEBUG)
	$(BIN_DEBUG) serve --data-dir $(DATA_DIR) --listen $(LISTEN) --demo

generate: deps
	bash scripts/generate.sh

check-generated: deps
	bash scripts/check-generated.sh

test: deps
	bash scripts/test.sh

bench: deps
	bash scripts/bench.sh

bench-journey: deps
	bash scripts/bench/journey.sh

clean:
	rm -rf .build .build-*

# corsmatch: `make demo` runs the CLI on the shipped example; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
CORSMATCH := target/release/corsmatch

.PHONY: demo serve build test test-rust lint-rust fmt test-e2e

demo: build
	@echo "== corsmatch eval: examples/requests.jsonl against examples/oss-web-upload.xml (oss)"
	$(CORSMATCH) eval --config examples/oss-web-upload.xml --requests examples/requests.jsonl
	@echo "== corsmatch explain: why a PUT from another site is refused"
	$(CORSMATCH) explain --config examples/oss-web-upload.xml --method OPTIONS \
		--origin https://static.example.org --acrm PUT --acrh content-type

serve: build
	$(CORSMATCH) serve

build:
	$(CARGO) build --release -p corsmatch-cli

fmt:
	$(CARGO) fmt --all

lint-rust:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) test --workspace

test-e2e:
	bash e2e/run-tests.sh

test: lint-rust test-rust test-e2e

# corsmatch: `make demo` runs the CLI on the shipped example; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
CORSMATCH := target/release/corsmatch

.PHONY: demo serve build record-sdk test test-rust lint-rust fmt test-c test-go test-py test-e2e test-clients test-formats test-fuzz fuzz bench bench-c bench-go bench-py bench-serve ratio dist install test-dist

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
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust:
	$(CARGO) test --workspace

test-c:
	bash ffi-c/run-tests.sh

test-go:
	bash go/run-tests.sh

test-py:
	bash py/run-tests.sh

test-e2e:
	bash e2e/run-tests.sh

# Record the browser SDKs' requests again into core/sdk/*.json (make test checks they have not
# drifted): after moving e2e/package-lock.json to new SDK versions.
record-sdk: build
	cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	cd e2e && node sdk/record.mjs --write

# corsmatch serve driven by boto3, oss2 and the AWS CLI; load, faults and hostile input.
test-clients:
	bash e2e/clients/run-tests.sh

# corsmatch's readers of the S3 JSON and CloudFormation forms against botocore and cfn-lint
# (installed from PyPI into target/formats-venv).
test-formats:
	bash core/tests/tools/run-tests.sh

# Each fuzz target for FUZZ_SECONDS (30 by default), after replaying every kept crash.
test-fuzz:
	bash fuzz/run-tests.sh

test: lint-rust test-rust test-c test-go test-py test-e2e test-clients test-formats test-fuzz

# Release artifacts in dist/ (README "Install"); test-dist installs and tests them without Rust.
dist:
	bash scripts/dist.sh

test-dist:
	bash scripts/test-dist.sh

# The C library, header and corsmatch.pc into PREFIX (include/, lib/, lib/pkgconfig/).
PREFIX ?= /usr/local
install:
	$(CARGO) build --profile dist -p corsmatch-ffi
	bash scripts/install-c.sh "$(PREFIX)" "$${CARGO_TARGET_DIR:-target}/dist"

# Longer fuzzing: make fuzz FUZZ_SECONDS=600
fuzz:
	bash fuzz/run.sh $${FUZZ_SECONDS:-300}

# Measurements (not part of `make test`).
ratio:
	$(CARGO) run --release -p corsmatch-benches --bin ratio

bench:
	$(CARGO) bench -p corsmatch-benches

bench-c:
	bash ffi-c/bench/run.sh

# The Go middleware against rs/cors and jub0bs/cors, side by side: a table of medians.
bench-go:
	$(CARGO) build --release -p corsmatch-ffi
	cd go && go test -c -o ../target/go-bench.test . && python3 benchtable.py ../target/go-bench.test --rounds $${ROUNDS:-5}

# corsmatch serve under concurrent load (requests/s, p50/p99), from a Go client.
bench-serve: build
	cd e2e/loadgen && go run . -bin ../../$(CORSMATCH) -c $${C:-16} -d $${D:-10s}

bench-py:
	bash py/run-tests.sh >/dev/null && target/py-venv/bin/python py/bench.py

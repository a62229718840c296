# crmctl — fresh machine, two commands: `make demo` and `make test`.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
CRMCTL     := $(BUILD)/cmd/crmctl
DEMO_PG    := $(BUILD)/pg-demo

.PHONY: all deps configure build test demo demo-down docs bench fuzz clean

all: build

deps:
	@tests/harness/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCRM_WERROR=ON

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD)

test: build
	tests/harness/run-tests.sh $(BUILD)

demo: build
	examples/demo.sh $(BUILD)

demo-down:
	tests/harness/pg.sh stop $(DEMO_PG)
	-@[ -f $(BUILD)/sim.pid ] && kill $$(cat $(BUILD)/sim.pid) 2>/dev/null; rm -f $(BUILD)/sim.pid

# Regenerate man/ and completions/ from the command definitions (a test fails when they are stale).
docs: build
	$(CRMCTL) __gendocs --out .

bench: build
	bench/run.sh $(BUILD)

# libFuzzer (clang, ASan + UBSan) over the webhook header parsers, the form decoder and event
# normalisation, for FUZZ_SECONDS; seeds in tests/fuzz/corpus (new finds go to $(BUILD)-fuzz/corpus).
FUZZ_SECONDS ?= 60
fuzz:
	@tests/harness/deps.sh --fuzz
	cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRM_WERROR=OFF \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCRM_FUZZ=ON
	cmake --build $(BUILD)-fuzz --target crm_webhook_fuzz
	mkdir -p $(BUILD)-fuzz/corpus
	$(BUILD)-fuzz/tests/fuzz/crm_webhook_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	  -timeout=10 -print_final_stats=1 $(BUILD)-fuzz/corpus tests/fuzz/corpus

clean:
	-tests/harness/pg.sh stop $(DEMO_PG)
	rm -rf $(BUILD)

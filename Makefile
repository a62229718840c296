# crmctl — fresh machine, two commands: `make demo` and `make test`.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
CRMCTL     := $(BUILD)/cmd/crmctl
DEMO_PG    := $(BUILD)/pg-demo

.PHONY: all deps configure build test demo demo-down docs bench clean

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

clean:
	-tests/harness/pg.sh stop $(DEMO_PG)
	rm -rf $(BUILD)

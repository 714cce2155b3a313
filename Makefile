# The two commands of the README, plus the long-running extras. CMake does the real work; this file
# only checks dependencies, configures once and forwards.
BUILD ?= build
TYPE  ?= Release
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
MTOK  := $(BUILD)/mtok
OUT   ?= reports/out

FUZZ_SECONDS ?= 300

.PHONY: all deps build report test asan fuzz fuzz-smoke reliability reliability-long clean

all: build

deps:
	@sh tools/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Main job: the default report suite (data/reports/default.json) on the embedded catalogs, stored
# as one run in the database ($$MTOK_DB or ./mtok.db), then rendered from it into $(OUT)/.
report: build
	$(MTOK) report --out $(OUT)

# Every test (CTest), with the same set-up as `make report`.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer; any
# report fails the test it happens in (halt_on_error, -fno-sanitize-recover).
ASAN_OPTIONS ?= detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1
UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DMTOK_SANITIZE=ON
	cmake --build $(BUILD)-asan -j $(JOBS)
	ASAN_OPTIONS=$(ASAN_OPTIONS) UBSAN_OPTIONS=$(UBSAN_OPTIONS) \
	  ctest --test-dir $(BUILD)-asan --output-on-failure -j $(JOBS)

# Every fuzz target (tests/fuzz/TARGETS) for FUZZ_SECONDS seconds each, with clang + libFuzzer.
fuzz:
	@sh tools/deps.sh --fuzz
	tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

# The CI smoke run: every fuzz target for 15 seconds.
fuzz-smoke:
	@sh tools/deps.sh --fuzz
	tests/fuzz/run.sh --seconds 15

# Sanitized suite + fuzzing + the figures (tests/reliability.sh). `reliability-long` is the run
# whose figures go in the issue: 1,000,000 executions per fuzz target, 500 kills.
reliability: deps
	@sh tools/deps.sh --fuzz
	tests/reliability.sh smoke

reliability-long: deps
	@sh tools/deps.sh --fuzz
	tests/reliability.sh long

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-reliability

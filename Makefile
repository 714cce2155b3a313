# The two commands of the README, plus the long-running extras. CMake does the real work; this file
# only checks dependencies, configures once and forwards.
BUILD ?= build
TYPE  ?= Release
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
MTOK  := $(BUILD)/mtok
OUT   ?= reports/out

.PHONY: all deps build report test asan clean

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

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Debug -DMTOK_SANITIZE=ON
	cmake --build $(BUILD)-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 ctest --test-dir $(BUILD)-asan --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(BUILD)-asan

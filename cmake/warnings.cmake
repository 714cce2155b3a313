# The one place where compiler warnings and sanitizer flags are set.
set(MTOK_WARNINGS
    -Wall -Wextra -Wpedantic
    -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
    -Wformat=2 -Wundef -Wvla -Wcast-align -Wwrite-strings -Wnull-dereference)
if(MTOK_WERROR)
  list(APPEND MTOK_WARNINGS -Werror)
endif()

if(MTOK_SANITIZE OR MTOK_FUZZ)
  set(MTOK_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options(${MTOK_SAN_FLAGS})
  add_link_options(${MTOK_SAN_FLAGS})
endif()
if(MTOK_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MTOK_FUZZ needs clang (libFuzzer): cmake -DCMAKE_C_COMPILER=clang ...")
  endif()
  # Coverage instrumentation everywhere but the kernels (cmake/fuzz-coverage-ignore.txt); only the
  # fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link -g
    -fsanitize-coverage-ignorelist=${CMAKE_CURRENT_LIST_DIR}/fuzz-coverage-ignore.txt)
endif()

function(mtok_apply_warnings target)
  target_compile_options(${target} PRIVATE ${MTOK_WARNINGS})
endfunction()

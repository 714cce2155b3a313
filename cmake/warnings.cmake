# The one place where compiler warnings and sanitizer flags are set.
set(MTOK_WARNINGS
    -Wall -Wextra -Wpedantic
    -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
    -Wformat=2 -Wundef -Wvla -Wcast-align -Wwrite-strings -Wnull-dereference)
if(MTOK_WERROR)
  list(APPEND MTOK_WARNINGS -Werror)
endif()

if(MTOK_SANITIZE)
  set(MTOK_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  add_compile_options(${MTOK_SAN_FLAGS})
  add_link_options(${MTOK_SAN_FLAGS})
endif()

function(mtok_apply_warnings target)
  target_compile_options(${target} PRIVATE ${MTOK_WARNINGS})
endfunction()

# System libraries, all from Debian packages (tools/deps.sh lists them), found the ordinary way.
find_package(PkgConfig REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS C)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(PAPI REQUIRED IMPORTED_TARGET papi)
find_library(SDE_LIBRARY NAMES sde REQUIRED)
find_library(MATH_LIBRARY m REQUIRED)

add_library(mtok_deps INTERFACE)
target_link_libraries(mtok_deps INTERFACE
  SQLite::SQLite3 CURL::libcurl PkgConfig::CJSON PkgConfig::PAPI ${SDE_LIBRARY}
  OpenMP::OpenMP_C Threads::Threads ${MATH_LIBRARY})

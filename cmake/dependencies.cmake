# Every third-party package comes from Debian 12 (scripts/setup.sh installs
# them). Targets are normalised to imported targets here, once.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Protobuf 3.21 REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
# Intel ISA-L: CRC32C of the DLQ spool's frames.
pkg_check_modules(ISAL REQUIRED IMPORTED_TARGET libisal)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(cpp-jwt CONFIG REQUIRED)  # libcpp-jwt-dev (cpp-jwt 1.4)
# Header-only; a streaming writer for the DLQ envelope (nlohmann builds a DOM).
find_package(RapidJSON CONFIG REQUIRED)
add_library(rapidjson::rapidjson INTERFACE IMPORTED)
set_target_properties(rapidjson::rapidjson PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${RAPIDJSON_INCLUDE_DIRS}")

# CAF 0.17 ships no CMake package on Debian; wrap the library by hand.
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
add_library(caf::core UNKNOWN IMPORTED)
set_target_properties(caf::core PROPERTIES
  IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)

if(DS_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
if(DS_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# systemd's service notification (sd_notify) for `Type=notify` units: linked
# where libsystemd exists; without it the daemon sends none (app/README.md).
pkg_check_modules(SYSTEMD IMPORTED_TARGET libsystemd)

# A tool that some tests (or the package) need is missing: a warning that
# says what is left out, or, with DS_REQUIRE_ALL_TESTS (the test command's
# configuration), a configuration error, so no test leaves CI silently.
function(ds_missing_tool)
  string(CONCAT what ${ARGV})
  if(DS_REQUIRE_ALL_TESTS)
    message(FATAL_ERROR "${what} (DS_REQUIRE_ALL_TESTS: scripts/setup.sh "
                        "installs every tool the suite needs)")
  else()
    message(WARNING "${what}")
  endif()
endfunction()

# ds_module(<name> [SOURCES ...] [PUBLIC_DEPS ...] [DEPS ...]
#           [PUBLIC_SYSTEM_DEPS ...] [SYSTEM_DEPS ...])
#
# One folder = one module = one library target `ds_<name>` (alias
# `ds::<name>`) = one namespace `ds::<name>`. Includes are rooted at the
# repository, e.g. #include "runtime/kafka/producer_client.hpp".
# DEPS lists other ds modules (the architecture's edges, kept explicit);
# SYSTEM_DEPS lists third-party imported targets. Both are linked PRIVATE:
# what only the sources use stays out of our users' builds. The PUBLIC_
# lists are for what the module's own headers include.
# GCC 12 at -O3 reports -Wrestrict on std::string concatenation in libstdc++
# itself (GCC bug 105329), which broke the release preset whenever new code
# built a string with `"literal" + s`; it stays a warning there, not an error.
set(DS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Werror
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-error=restrict>)

function(ds_apply_warnings target)
  target_compile_options(${target} PRIVATE ${DS_WARNINGS})
endfunction()

function(ds_module name)
  cmake_parse_arguments(M "" ""
    "SOURCES;PUBLIC_DEPS;DEPS;PUBLIC_SYSTEM_DEPS;SYSTEM_DEPS" ${ARGN})
  set(target ds_${name})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    set(scope PUBLIC)
    set(private PRIVATE)
    ds_apply_warnings(${target})
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
    set(private INTERFACE)
  endif()
  add_library(ds::${name} ALIAS ${target})
  target_include_directories(${target} ${scope} ${PROJECT_SOURCE_DIR})
  foreach(dep IN LISTS M_PUBLIC_DEPS)
    target_link_libraries(${target} ${scope} ds::${dep})
  endforeach()
  foreach(dep IN LISTS M_DEPS)
    target_link_libraries(${target} ${private} ds::${dep})
  endforeach()
  target_link_libraries(${target} ${scope} ${M_PUBLIC_SYSTEM_DEPS})
  target_link_libraries(${target} ${private} ${M_SYSTEM_DEPS})
endfunction()

# ds_executable(<name> SOURCES ... DEPS ...): a program linked from modules.
function(ds_executable name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;SYSTEM_DEPS" ${ARGN})
  add_executable(${name} ${M_SOURCES})
  ds_apply_warnings(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  foreach(dep IN LISTS M_DEPS)
    target_link_libraries(${name} PRIVATE ds::${dep})
  endforeach()
  target_link_libraries(${name} PRIVATE ${M_SYSTEM_DEPS})
endfunction()

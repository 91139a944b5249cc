# ds_fuzz_target(<name> SECONDS <n> SOURCES ... [DEPS ...] [SYSTEM_DEPS ...]
#                [CORPUS <dir>] [ARGS ...])
#
# A libFuzzer executable and its ctest run, for the `fuzz` preset
# (DS_BUILD_FUZZ): everything is compiled with -fsanitize=fuzzer-no-link
# there, and only this executable links libFuzzer's main. List the sources
# a target fuzzes rather than whole modules where a module would drag in
# more than the fuzzed code needs.
#
# The fuzzer adds what it finds to its corpus directory, so it runs on a
# copy in the build tree (the test <name>_corpus, a fixture), refreshed
# from the checked-in seeds (CORPUS, default fuzz_corpus/ beside the
# CMakeLists) on every run; <name>_<n>s then fuzzes for n seconds. Both are
# labelled `fuzz` (scripts/test.sh runs them). -malloc_limit_mb fails any
# single allocation over 64 MiB (an input that declares a huge size), and
# -timeout any one input that takes over 10 s (a hang). A crash leaves its
# input in the build directory as <name>_crash-<sha1>.
function(ds_fuzz_target name)
  cmake_parse_arguments(F "" "SECONDS;CORPUS" "SOURCES;DEPS;SYSTEM_DEPS;ARGS"
                        ${ARGN})
  if(NOT F_CORPUS)
    set(F_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_corpus)
  endif()
  ds_executable(${name} SOURCES ${F_SOURCES} DEPS ${F_DEPS}
                SYSTEM_DEPS ${F_SYSTEM_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(corpus ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  add_test(NAME ${name}_corpus
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${F_CORPUS} ${corpus})
  set_tests_properties(${name}_corpus PROPERTIES
    FIXTURES_SETUP ${name}_corpus
    LABELS fuzz)
  add_test(NAME ${name}_${F_SECONDS}s
    COMMAND ${name} -max_total_time=${F_SECONDS} -max_len=8192
            -malloc_limit_mb=64 -timeout=10
            -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/${name}_
            ${F_ARGS} ${corpus})
  set_tests_properties(${name}_${F_SECONDS}s PROPERTIES
    FIXTURES_REQUIRED ${name}_corpus
    LABELS fuzz
    TIMEOUT 300)
endfunction()

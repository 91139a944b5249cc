# Real single-node Kafka broker for integration tests, as a ctest fixture.
#
#   include(support/kafka_broker.cmake)      # from tests/CMakeLists.txt
#   add_test(NAME my_kafka_test COMMAND my_kafka_test)
#   ds_kafka_test(my_kafka_test)
#
# kafka_broker_start runs scripts/kafka-broker.sh start (fetching Kafka from
# Maven Central on first use) before any test that needs it, and
# kafka_broker_stop stops the broker after the last one. Tests find the
# broker through $DS_KAFKA_BOOTSTRAP_FILE (see tests/support/kafka_env.hpp).
#
# Tests named only at test time (catch_discover_tests) cannot be passed to
# ds_kafka_test(); use instead
#   catch_discover_tests(t PROPERTIES ${DS_KAFKA_TEST_PROPERTIES} ...)
# and compile kafka_env.cpp with ${DS_KAFKA_COMPILE_DEFINITIONS}, which
# bakes in the bootstrap file path so no extra ENVIRONMENT entry is needed
# (Catch2 2.x flattens lists inside PROPERTIES, so two ENVIRONMENT entries
# do not survive).
# Run only these with: ctest -L integration. There is deliberately no switch
# to turn them off: scripts/setup.sh installs java, maven and kcat.
include_guard(GLOBAL)

set(DS_KAFKA_BROKER_SH "${PROJECT_SOURCE_DIR}/scripts/kafka-broker.sh")
set(DS_KAFKA_DIR "${CMAKE_BINARY_DIR}/kafka")
set(DS_KAFKA_BOOTSTRAP_FILE "${DS_KAFKA_DIR}/bootstrap")

set(DS_KAFKA_TEST_PROPERTIES FIXTURES_REQUIRED kafka_broker)
set(DS_KAFKA_COMPILE_DEFINITIONS
  "DS_KAFKA_DEFAULT_BOOTSTRAP_FILE=\"${DS_KAFKA_BOOTSTRAP_FILE}\"")

find_program(DS_BASH_EXECUTABLE bash REQUIRED)
foreach(_ds_tool IN ITEMS java mvn kcat)
  find_program(DS_KAFKA_HAVE_${_ds_tool} ${_ds_tool})
  if(NOT DS_KAFKA_HAVE_${_ds_tool})
    message(WARNING "Kafka integration tests need '${_ds_tool}' on PATH "
                    "(run scripts/setup.sh); they will fail")
  endif()
endforeach()

add_test(NAME kafka_broker_start
  COMMAND "${DS_BASH_EXECUTABLE}" "${DS_KAFKA_BROKER_SH}" start
          "${DS_KAFKA_DIR}")
set_tests_properties(kafka_broker_start PROPERTIES
  FIXTURES_SETUP kafka_broker
  LABELS integration
  TIMEOUT 300)

add_test(NAME kafka_broker_stop
  COMMAND "${DS_BASH_EXECUTABLE}" "${DS_KAFKA_BROKER_SH}" stop
          "${DS_KAFKA_DIR}")
set_tests_properties(kafka_broker_stop PROPERTIES
  FIXTURES_CLEANUP kafka_broker
  LABELS integration
  TIMEOUT 60)

# Marks TEST_NAME as needing the broker: fixture, label, and the
# DS_KAFKA_BOOTSTRAP_FILE environment variable (read at run time).
function(ds_kafka_test TEST_NAME)
  set_property(TEST ${TEST_NAME} APPEND PROPERTY
    FIXTURES_REQUIRED kafka_broker)
  set_property(TEST ${TEST_NAME} APPEND PROPERTY LABELS integration)
  set_property(TEST ${TEST_NAME} APPEND PROPERTY
    ENVIRONMENT "DS_KAFKA_BOOTSTRAP_FILE=${DS_KAFKA_BOOTSTRAP_FILE}")
endfunction()

add_test(NAME kafka_broker_smoke
  COMMAND "${DS_BASH_EXECUTABLE}"
          "${PROJECT_SOURCE_DIR}/tests/support/kafka_smoke.sh"
          "${DS_KAFKA_BROKER_SH}" "${DS_KAFKA_DIR}")
set_tests_properties(kafka_broker_smoke PROPERTIES TIMEOUT 120)
ds_kafka_test(kafka_broker_smoke)

# A real Jaeger v2 (scripts/jaeger.sh) for tracing tests, as a ctest
# fixture, like support/kafka_broker.cmake. jaeger_start builds Jaeger on
# first use (about 6 minutes; cached under ~/.cache/dashstream) and starts
# it on loopback; tests read its addresses from $DS_JAEGER_ENDPOINTS_FILE
# and may stop and start it (same ports) through DS_JAEGER_SH/DS_JAEGER_DIR.
include_guard(GLOBAL)

set(DS_JAEGER_SH "${PROJECT_SOURCE_DIR}/scripts/jaeger.sh")
set(DS_JAEGER_DIR "${CMAKE_BINARY_DIR}/jaeger")

add_test(NAME jaeger_start
  COMMAND "${DS_BASH_EXECUTABLE}" "${DS_JAEGER_SH}" start "${DS_JAEGER_DIR}")
set_tests_properties(jaeger_start PROPERTIES
  FIXTURES_SETUP jaeger
  LABELS integration
  TIMEOUT 1200)

add_test(NAME jaeger_stop
  COMMAND "${DS_BASH_EXECUTABLE}" "${DS_JAEGER_SH}" stop "${DS_JAEGER_DIR}")
set_tests_properties(jaeger_stop PROPERTIES
  FIXTURES_CLEANUP jaeger
  LABELS integration
  TIMEOUT 60)

# Marks TEST_NAME as needing Jaeger (and the Kafka broker: ds_kafka_test).
function(ds_jaeger_test TEST_NAME)
  set_property(TEST ${TEST_NAME} APPEND PROPERTY FIXTURES_REQUIRED jaeger)
  set_property(TEST ${TEST_NAME} APPEND PROPERTY
    ENVIRONMENT "DS_JAEGER_ENDPOINTS_FILE=${DS_JAEGER_DIR}/endpoints")
  set_property(TEST ${TEST_NAME} APPEND PROPERTY RESOURCE_LOCK jaeger)
endfunction()

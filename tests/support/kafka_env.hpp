#pragma once

#include <string>

namespace ds::test {

// Bootstrap address ("host:port") of the integration-test Kafka broker.
//
// Returns $DS_KAFKA_BROKERS if set and non-empty; otherwise the trimmed
// content of the file named by $DS_KAFKA_BOOTSTRAP_FILE (set by
// ds_kafka_test() in tests/support/kafka_broker.cmake), or, when that is
// unset and kafka_env.cpp was compiled with the DS_KAFKA_DEFAULT_BOOTSTRAP_FILE
// macro (a string literal path), the content of that file. Throws
// std::runtime_error, explaining how to start a broker, if none gives an
// address.
std::string kafka_bootstrap();

} // namespace ds::test

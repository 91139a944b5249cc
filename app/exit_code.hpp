#pragma once

namespace ds::app {

/// Process exit codes, after sysexits(3) so scripts can tell usage errors
/// from bad configuration from runtime failures.
enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1, // ran, but the work failed (broker down, test failed)
  exit_usage = 64,  // EX_USAGE: bad flags
  exit_data = 65,   // EX_DATAERR: bad input data
  exit_noperm = 77, // EX_NOPERM: Kafka refused our credentials (SASL, TLS)
  exit_config = 78, // EX_CONFIG: invalid configuration
};

} // namespace ds::app

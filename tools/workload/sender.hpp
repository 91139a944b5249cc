#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <prometheus/registry.h>

#include "tools/producer/producer.hpp"
#include "tools/workload/generator.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::workload {

/// How a send run ended.
struct send_result {
  uint64_t sent = 0;   // records handed to Kafka
  uint64_t acked = 0;  // acknowledged by Kafka
  uint64_t failed = 0; // delivery failures
  std::string first_failure;
  bool interrupted = false;
  /// What stopped the loop early (building or enqueueing a record).
  caf::error failure;
  std::string failure_what;
  double seconds = 0;
  /// Times the per-tenant rate limit refused a record (each one waited for
  /// its tenant's bucket, then went).
  uint64_t rate_limited = 0;

  bool ok() const noexcept {
    return !failure && !interrupted && failed == 0 && acked == sent;
  }
};

/// Sends a whole workload through one producer: owns the producer, the
/// generator and the delivery bookkeeping that completes the ground truth
/// with partitions and offsets. Used by `dashstream produce`, the demo, the
/// bench and the pipeline tests. Single-threaded.
class sender {
public:
  /// Plans the workload (an impossible fault request fails here, before
  /// Kafka is touched) and creates the producer.
  static caf::expected<std::unique_ptr<sender>>
  make(workload_config cfg, producer::producer_config pcfg,
       prometheus::Registry& registry);

  ~sender();
  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;

  /// Sends everything at `rate` messages/s (0 = full speed), then flushes.
  /// `should_stop` is asked every few hundred records and while pacing.
  send_result run(double rate, const std::function<bool()>& should_stop = {});

  generator& gen() noexcept { return *gen_; }
  const ground_truth& truth() const noexcept { return gen_->truth(); }
  producer::producer& prod() noexcept { return *prod_; }

private:
  sender() = default;

  struct tally {
    uint64_t acked = 0;
    uint64_t failed = 0;
    std::string first_failure;
    generator* gen = nullptr;
  };
  std::shared_ptr<tally> tally_ = std::make_shared<tally>();
  // The producer may serve reports while being destroyed: it goes first,
  // and the tally it reports into outlives it.
  std::unique_ptr<generator> gen_;
  std::unique_ptr<producer::producer> prod_;
};

} // namespace ds::workload

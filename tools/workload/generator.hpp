#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include "tools/producer/stamper.hpp"
#include "tools/workload/corruption.hpp"
#include "tools/workload/ground_truth.hpp"
#include "tools/workload/message_factory.hpp"
#include "tools/workload/planned_record.hpp"
#include "tools/workload/schedule.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::workload {

/// Where the generator gets the stamper of a tenant: the producer's own
/// (producer::stamps) when sending, so sequences continue where the
/// producer's are; local_stampers for a dry run or a test.
using stamper_source =
  std::function<caf::expected<producer::stamper*>(std::string_view tenant)>;

/// One stamper per tenant; message ids derive from `seed`. Copies share the
/// stampers (std::function needs a copyable callable).
class local_stampers {
public:
  explicit local_stampers(uint64_t seed) : seed_(seed) {}
  caf::expected<producer::stamper*> operator()(std::string_view tenant);

private:
  using map = std::unordered_map<std::string, producer::stamper>;
  uint64_t seed_;
  std::shared_ptr<map> by_ = std::make_shared<map>();
};

/// Turns a schedule into records, one at a time: builds each message,
/// stamps it (sequence, id, timestamp, tenant) right before it is handed
/// out, pads and frames it, and applies the planned faults (burned
/// sequences, resends, swapped pairs, corrupt extras). Every record handed
/// out is accounted in the ground truth at that moment.
///
/// Not thread-safe; owned by the sending loop. Neither copyable nor
/// movable: the ground truth and the records point into it.
class generator {
public:
  generator(workload_config cfg, schedule plan, stamper_source stamps);
  generator(const generator&) = delete;
  generator& operator=(const generator&) = delete;

  /// The next record, or false at the end. Fails only when stamping or
  /// encoding fails (an invalid tenant, a message above the size cap).
  caf::expected<bool> next(planned_record& out);

  ground_truth& truth() noexcept { return truth_; }
  const ground_truth& truth() const noexcept { return truth_; }
  const schedule& plan() const noexcept { return plan_; }
  const workload_config& config() const noexcept { return cfg_; }

  /// Records still to come: valid + duplicates + corrupt, exactly.
  uint64_t remaining() const noexcept { return remaining_; }

private:
  struct held_record {
    planned_record rec;
    std::size_t fault;
  };

  caf::expected<producer::stamper*> stamper_of(uint32_t thread);
  std::string make_traceparent();
  caf::error materialize(const scheduled_record& entry);
  caf::error materialize_solo(const scheduled_record& entry);
  caf::error materialize_batch(const scheduled_record& entry);
  caf::error make_corrupt(const planned_corruption& c);
  caf::error finish(planned_record& rec, proto::message& msg);

  workload_config cfg_;
  schedule plan_;
  stamper_source stamps_;
  ground_truth truth_;
  message_factory factory_;
  corruption_factory corruptions_;
  std::mt19937_64 rng_;                            // trace ids, corrupt bytes
  std::vector<producer::stamper*> stampers_;       // by tenant index, lazily
  std::vector<uint32_t> ordinal_;                  // messages built per thread
  std::unordered_map<uint32_t, held_record> held_; // reorders, by thread
  std::deque<planned_record> ready_;
  std::size_t next_record_ = 0;
  std::size_t next_corruption_ = 0;
  uint64_t remaining_ = 0;
};

/// Builds the whole plan without Kafka: every record the generator would
/// hand out, in order, with local stampers. For tests and --dry-run style
/// inspection; keeps everything in memory.
struct dry_run {
  std::unique_ptr<generator> gen;
  std::vector<planned_record> records;
};
caf::expected<dry_run> run_dry(const workload_config& cfg);

} // namespace ds::workload

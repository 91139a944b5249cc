#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json_fwd.hpp>

#include "proto/errc.hpp"
#include "tools/workload/planned_record.hpp"
#include "tools/workload/schedule.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::workload {

/// One injected fault, as a later test needs it to find the exact record:
/// the record a validator flags for the fault, with its partition and
/// offset from the delivery report (-1 until reported).
struct fault_entry {
  fault_kind kind;
  uint32_t thread;
  /// Sequence of the flagged record: the message after a gap, the resent
  /// message of a duplicate, the late message of a reorder; 0 for corrupt.
  uint64_t sequence = 0;
  /// Sequences burned by a gap.
  uint32_t gap_size = 0;
  /// Reorders: the early message (sequence + 1), flagged as a gap of 1.
  uint64_t early_sequence = 0;
  corruption_kind corruption = corruption_kind::empty_value;
  int32_t partition = -1;
  int64_t offset = -1;
  /// Reorders: where the early record landed (same partition).
  int64_t early_offset = -1;
  /// Duplicates: where the original landed.
  int64_t original_offset = -1;
};

/// What a contract-§3 validator (policy warn_and_continue) and a decoder
/// must report for the records emitted so far.
struct expected_effects {
  uint64_t gaps = 0;
  /// Sum of the gap sizes.
  uint64_t gap_missing_total = 0;
  uint64_t duplicates = 0;
  uint64_t reorders = 0;
  /// By proto::to_string(errc).
  std::map<std::string, uint64_t> corrupt_by_reason;
};

/// The exact ground truth of a workload run, accumulated record by record as
/// the generator hands records out (so an interrupted run still describes
/// exactly what was emitted), then completed with partitions and offsets
/// from delivery reports. Single-threaded: the producer serves delivery
/// reports on the sending thread.
class ground_truth {
public:
  ground_truth(const workload_config& cfg, const thread_layout& layout);

  /// Registers a fault (the generator does, when it builds the record).
  std::size_t add_fault(fault_entry f);
  fault_entry& fault(std::size_t i) { return faults_[i]; }
  const std::vector<fault_entry>& faults() const noexcept { return faults_; }

  /// Which fault fields a record's delivery report fills.
  enum class role : uint8_t { flagged, early, original };
  struct fault_ref {
    std::size_t fault;
    role what;
  };

  /// A token for a record that carries these faults.
  std::uintptr_t token_for(std::vector<fault_ref> refs);

  /// Accounts for a record handed to the sender.
  void on_emit(const planned_record& rec);

  /// Records where a faulty record landed (from its delivery report).
  void locate(std::uintptr_t token, int32_t partition, int64_t offset);

  const expected_effects& expected() const noexcept { return expected_; }

  struct record_counts {
    uint64_t total = 0;
    uint64_t valid = 0;
    uint64_t duplicates = 0;
    uint64_t corrupt = 0;
    std::array<uint64_t, corruption_kind_count> corrupt_by_kind{};
    std::array<uint64_t, message_kind_count> valid_by_kind{};
    /// Sequence-bearing headers in valid records (batch events count one
    /// each, batch headers none).
    uint64_t sequenced = 0;
    /// Valid records (and resends) framed with zstd.
    uint64_t compressed = 0;
    /// Framed value bytes of every record.
    uint64_t bytes = 0;
  };
  const record_counts& records() const noexcept { return records_; }

  /// The highest sequence emitted per thread (0: none yet).
  const std::vector<uint64_t>& last_sequence() const noexcept {
    return last_sequence_;
  }

  /// Threads above which the JSON holds a checksum instead of the map.
  static constexpr std::size_t max_listed_threads = 10'000;

  /// The ground truth document (see README.md for the format). `complete`
  /// is false for an interrupted run.
  nlohmann::json to_json(bool complete) const;

  /// Writes to_json() to `path` (see write_json_file).
  caf::error write(const std::string& path, bool complete) const;

private:
  const workload_config& cfg_;
  const thread_layout& layout_;
  std::vector<fault_entry> faults_;
  std::vector<std::vector<fault_ref>> tokens_; // token - 1 -> refs
  expected_effects expected_;
  record_counts records_;
  std::vector<uint64_t> last_sequence_;
};

/// Writes `doc` pretty-printed to `path`, through a temporary file and a
/// rename so that a reader never sees half a document. Fails with
/// errc::io_failed naming the path.
caf::error write_json_file(const std::string& path, const nlohmann::json& doc);

} // namespace ds::workload

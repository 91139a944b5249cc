#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/workload/corruption.hpp"
#include "tools/workload/mix.hpp"

namespace ds::workload {

/// What a record is for, from the point of view of a sequence validator.
enum class record_tag : uint8_t {
  /// An ordinary valid record (also the original of a duplicate).
  none,
  /// The first record after burned sequences: one gap per tagged fault.
  gap,
  /// The exact resend of the record before it: one duplicate.
  duplicate,
  /// A reordered pair's early record (message n+1 sent before n): a gap of
  /// size 1.
  reorder_early,
  /// A reordered pair's late record (message n after n+1): a reorder.
  reorder_late,
  /// An extra record that does not decode.
  corrupt,
};

std::string_view to_string(record_tag x) noexcept;

/// A sequence a record carries: the thread (index into the layout) and the
/// sequence number its header got.
struct thread_sequence {
  uint32_t thread;
  uint64_t sequence;
};

/// One record, ready to send: the Kafka send is a thin loop over these.
struct planned_record {
  /// Record key (a thread id) and tenant; views into the generator's
  /// layout, valid while the generator lives.
  std::string_view key;
  std::string_view tenant;
  message_kind kind = message_kind::event;
  record_tag tag = record_tag::none;
  /// Meaningful only when tag == corrupt.
  corruption_kind corruption = corruption_kind::empty_value;
  /// The framed record value (empty for an empty_value corruption).
  std::string value;
  /// W3C traceparent header value; empty for none.
  std::string traceparent;
  /// Every sequence-bearing header in the record: one for most kinds, one
  /// per inner event for a batch (its header carries 0 and is not listed),
  /// none for corrupt records.
  std::vector<thread_sequence> sequences;
  /// Non-zero for records the ground truth locates (faults): hand it to the
  /// producer and back to ground_truth::locate from the delivery report.
  std::uintptr_t token = 0;
};

} // namespace ds::workload

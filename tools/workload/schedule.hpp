#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/expected.hpp>

#include "tools/workload/corruption.hpp"
#include "tools/workload/mix.hpp"
#include "tools/workload/thread_layout.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::workload {

/// Injected faults. gap/duplicate/reorder act on a thread's sequence
/// (contract §3); corrupt records take no sequence at all.
enum class fault_kind : uint8_t { gap, duplicate, reorder, corrupt };

std::string_view to_string(fault_kind x) noexcept;

/// One valid record to send, before any bytes exist.
struct scheduled_record {
  message_kind kind;
  /// A solo thread for every kind but batch; a group index for batches.
  uint32_t unit;
};

/// A fault on the `ordinal`-th message (1-based) of `thread`. Ordinals
/// count messages, not sequence numbers: gaps shift the sequences after
/// them, never the ordinals.
///
/// Effects under a contract-§3 validator (warn_and_continue):
/// - gap: `gap_size` sequence numbers are burned just before message
///   `ordinal` -> exactly one gap of that size. Footprint [ordinal-1, ordinal].
/// - duplicate: message `ordinal` is sent twice in a row (same bytes, same
///   message_id) -> exactly one duplicate. Footprint [ordinal].
/// - reorder: message ordinal+1 is sent before message `ordinal` -> one gap
///   of size 1 (at ordinal+1) and one reorder (at ordinal). Footprint
///   [ordinal, ordinal+1].
/// Rules that keep those effects exact and independent: no fault touches a
/// thread's first message; footprints of one thread never overlap or touch
/// (at least one untouched message between them); duplicates and reorders
/// only hit solo threads (a batch carries several threads, so resending or
/// moving it would hit all of them); gaps may hit batch threads, where they
/// check that a consumer looks at every event of a batch (§8.5).
struct planned_fault {
  fault_kind kind;
  uint32_t thread;
  uint32_t ordinal;
  /// Sequence numbers burned (gaps only).
  uint32_t gap_size = 0;
};

/// An extra corrupt record, sent just before valid record `position` (or
/// after the last one when position == count), keyed by `thread`.
struct planned_corruption {
  uint64_t position;
  corruption_kind kind;
  uint32_t thread;
};

/// The whole workload as a plan: which kind goes to which thread in which
/// order, and where every fault sits. Pure data, deterministic from the
/// config and its seed; nothing is encoded or sent yet.
struct schedule {
  thread_layout layout;
  std::vector<scheduled_record> records;
  /// Messages (sequence-bearing headers) each thread will send.
  std::vector<uint32_t> messages_per_thread;
  /// Sorted by (thread, ordinal).
  std::vector<planned_fault> faults;
  /// Sorted by position.
  std::vector<planned_corruption> corruptions;

  /// The fault on a thread's message, or nullptr.
  const planned_fault* fault_at(uint32_t thread,
                                uint32_t ordinal) const noexcept;

  /// Rebuilds the lookup behind fault_at() (after editing `faults`).
  void index_faults();

private:
  std::unordered_map<uint64_t, uint32_t> fault_index_;
};

/// Plans `cfg`: draws the kind and thread of every record, then places the
/// requested faults on random eligible messages (see planned_fault). Fails
/// with errc::invalid_config for bad settings and errc::cannot_place_faults
/// when the messages cannot hold that many faults under the rules.
caf::expected<schedule> make_schedule(const workload_config& cfg);

/// An integer in [0, n) from a 64-bit engine, the same on every platform
/// (std::uniform_int_distribution is not). The modulo bias is below
/// n / 2^64, far under anything a workload could notice. n > 0.
template<class Rng>
uint64_t draw_below(Rng& rng, uint64_t n) {
  return static_cast<uint64_t>(rng()) % n;
}

} // namespace ds::workload

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "tools/workload/workload_config.hpp"

namespace ds::workload {

/// Which thread ids exist, which tenant owns each, and which of them travel
/// only inside EventBatches.
///
/// Kafka orders records only within a partition, and the partition follows
/// the record key, which is the thread_id (for a batch, its header's). An
/// event inside a batch keyed by thread A lands on A's partition; if its own
/// thread B also sent records keyed by B, B's sequence would be spread over
/// two partitions and no consumer could check it. So threads are split:
/// *solo* threads send every kind except batches, always keyed by
/// themselves; each *batch group* of `batch_threads` threads only ever
/// travels in batches keyed by the group's first thread, one event per
/// thread per batch. Every thread thus lives on exactly one partition.
struct thread_layout {
  /// Thread ids, index = thread number: solo threads first, then the
  /// groups' threads, group by group.
  std::vector<std::string> thread_ids;
  /// Tenant index of each thread.
  std::vector<uint32_t> tenant_of;
  /// "tenant-0", "tenant-1", ...
  std::vector<std::string> tenant_ids;
  uint32_t solo_count = 0;
  uint32_t group_count = 0;
  uint32_t group_size = 0;

  bool is_solo(uint32_t thread) const noexcept { return thread < solo_count; }
  /// The first thread of group `g`; the group's key.
  uint32_t group_first(uint32_t g) const noexcept {
    return solo_count + g * group_size;
  }
  /// The group of a batch thread (precondition: !is_solo(thread)).
  uint32_t group_of(uint32_t thread) const noexcept {
    return (thread - solo_count) / group_size;
  }
  /// Threads that carry traffic (may be fewer than configured when only
  /// batches are sent and the threads do not divide into groups).
  uint32_t used_threads() const noexcept {
    return solo_count + group_count * group_size;
  }
};

/// Splits cfg.threads so that each thread receives about the same number of
/// messages under cfg.kinds: a batch gives every thread of its group one
/// message, so groups get a share of the threads proportional to
/// batch_weight * group_size. At least one solo thread exists when any
/// non-batch kind has weight, and at least one group when batches do.
/// Tenants are assigned round-robin over solo threads and over groups (all
/// threads of a group share the batch's tenant). Fails with
/// errc::invalid_config when the threads cannot hold that.
caf::expected<thread_layout> make_thread_layout(const workload_config& cfg);

} // namespace ds::workload

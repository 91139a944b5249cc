#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fwd.hpp"
#include "actors/vocabulary.hpp"

namespace ds::actors {

/// A record that passed validation and leaves the pipeline: what client
/// sessions, the quality aggregator and tracing consume. Its value bytes
/// are shared with the polled batch (`owner`), never copied.
struct validated_record {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string tenant_id; // of the top header ("" when the record has none)
  std::string thread_id;
  std::string_view value;
  std::shared_ptr<const void> owner; // keeps `value` alive
  record_verdict verdict;
  /// The pipeline sent it before (a validator or reader restarted while it
  /// was in flight): a subscriber may have seen it already.
  bool redelivered = false;
  /// A Metrics message with scope "quality" (contract §6): what the quality
  /// aggregator reads, flagged by the reader that decoded it already.
  bool quality = false;
};

/// One partition's validated records, in offset order.
struct validated_batch {
  int32_t partition = 0;
  std::vector<validated_record> records;
};

/// The message wrapper: one immutable batch shared by every subscriber.
struct validated_batch_ref {
  std::shared_ptr<const validated_batch> batch;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validated_batch_ref&) {
  // Local-only message: it shares the polled records' buffers.
  return f(caf::meta::type_name("validated_batch_ref"));
}

/// How many subscribers the output has, for the partition readers: with
/// none they skip the work of publishing (copies, ordering, messages), and
/// a subscriber sees the records validated after it subscribed.
using egress_listeners = std::shared_ptr<std::atomic<uint32_t>>;

struct egress_state {
  static inline const char* name = "egress";
  std::vector<egress_subscriber_actor> subscribers;
  egress_listeners listeners;
};

egress_actor::behavior_type
egress(egress_actor::stateful_pointer<egress_state> self,
       egress_listeners listeners);

/// Restores per-partition order on the way out: records finish validation
/// out of order (each validator answers on its own), but leave in the
/// order they were read. A plain class: the partition reader owns one.
class egress_sequencer {
public:
  /// A record read, in offset order; it leaves once it and every earlier
  /// one are resolved.
  void track(int64_t offset, bool redelivered);

  /// Its validators have answered and it passed.
  void passed(validated_record rec);

  /// It will not leave through the output (rejected: it goes to the DLQ).
  void dropped(int64_t offset);

  /// Sent again to a validator: a subscriber may see it twice.
  void mark_redelivered(int64_t offset);

  /// The resolved records at the head, in offset order (dropped ones
  /// skipped); empty when the oldest record is still unresolved.
  std::vector<validated_record> take_ready();

  std::size_t tracked() const { return slots_.size(); }

private:
  struct slot {
    int64_t offset = 0;
    bool resolved = false;
    bool redelivered = false;
    std::optional<validated_record> rec;
  };
  slot* find(int64_t offset);

  std::deque<slot> slots_; // offsets increasing
};

} // namespace ds::actors

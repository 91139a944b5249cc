#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <caf/expected.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "clients/clients_probe.hpp"
#include "clients/fwd.hpp"

namespace ds::clients {

/// What the mirror reads: the partitions the rest of the consumer group
/// validates, outside the group (app/ implements it over librdkafka and
/// the codec; tests use a fake). Called only from the mirror's thread.
class mirror_source {
public:
  struct batch {
    /// Records a client may see (decoded, within kafka.tenant_id), encoded,
    /// in per-partition offset order.
    std::vector<record_ptr> records;
    /// Per partition read: the last offset looked at, forwarded or not.
    std::map<int32_t, int64_t> last;
  };

  virtual ~mirror_source() = default;

  /// The topic's partitions this daemon does not validate now; nullopt
  /// while that is unknown (before the group's first assignment).
  virtual std::optional<std::vector<int32_t>> remote_partitions() = 0;

  /// Reads these partitions from these offsets (from_end: only what is
  /// produced from now on), and no others.
  virtual caf::error assign(const std::map<int32_t, int64_t>& from) = 0;

  /// Up to `max` records, waiting at most `timeout` for the first.
  virtual caf::expected<batch> poll(std::size_t max,
                                    std::chrono::milliseconds timeout) = 0;

  static constexpr int64_t from_end = -1;
};

struct mirror_config {
  /// How often the assignment is looked at, and the longest a poll waits
  /// (replay.mirror_poll_ms).
  std::chrono::milliseconds poll_interval{100};
  /// Records per poll; the next poll waits until the fan-out has taken
  /// them (replay.mirror_batch_records).
  std::size_t batch_records = 2'000;
};

struct mirror_state {
  static inline const char* name = "mirror";

  std::shared_ptr<mirror_source> source;
  fanout_actor fanout;
  std::shared_ptr<clients_probe> probe;
  mirror_config cfg;
  /// What is read now: partition -> the next offset (from_end until the
  /// first record).
  std::map<int32_t, int64_t> next;
  bool waiting = false;
};

using mirror_actor = caf::typed_actor<caf::reacts_to<check_atom>>;

/// With several daemons in one consumer group, each validates only its
/// assigned partitions; a client on any daemon must still see every record
/// of its tenant. The mirror reads every partition this daemon does not
/// validate, from where the fan-out's ring stops (or from the end), and
/// hands the records to the fan-out like validated ones; the ring forwards
/// each offset once, whichever path brings it first, so a partition moving
/// between daemons loses and repeats nothing. Detached: its polls block.
mirror_actor::behavior_type
mirror(mirror_actor::stateful_pointer<mirror_state> self, mirror_config cfg,
       std::shared_ptr<mirror_source> source, fanout_actor fanout,
       std::shared_ptr<clients_probe> probe);

/// Where to read each of `remote` from: where reading continues (`next`),
/// else after the ring's latest offset (`latest`), else from the end.
std::map<int32_t, int64_t>
mirror_starts(const std::vector<int32_t>& remote,
              const std::map<int32_t, int64_t>& next,
              const std::map<int32_t, int64_t>& latest);

} // namespace ds::clients

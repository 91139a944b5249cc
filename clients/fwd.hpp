#pragma once

// The client half's public handles and the messages they exchange.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/egress.hpp"
#include "runtime/http/websocket.hpp"

namespace ds::clients {

using text_atom = caf::atom_constant<caf::atom("text")>;
using too_large_atom = caf::atom_constant<caf::atom("too_large")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using replay_atom = caf::atom_constant<caf::atom("replay")>;
using latest_atom = caf::atom_constant<caf::atom("latest")>;
using check_atom = caf::atom_constant<caf::atom("check")>;
using adopt_atom = caf::atom_constant<caf::atom("adopt")>;
using cold_atom = caf::atom_constant<caf::atom("cold")>;
using mirror_atom = caf::atom_constant<caf::atom("mirror")>;

/// One forwarded record, encoded once (protocol.hpp record_frames) and
/// shared by every session that sends it.
struct client_record {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string tenant_id;
  std::string thread_id;
  /// The cursor TEXT frame and the BINARY frame with the value bytes.
  http::ws_bytes frames;
  /// A `gap` TEXT frame sent before it; null unless the validator found a
  /// gap just before this record.
  http::ws_bytes gap;

  std::size_t bytes() const {
    return sizeof(*this) + frames->size() + (gap ? gap->size() : 0) +
           tenant_id.capacity() + thread_id.capacity();
  }
};

using record_ptr = std::shared_ptr<const client_record>;

/// Records in per-partition offset order, as a session receives them.
struct client_batch {
  std::shared_ptr<const std::vector<record_ptr>> records;
};

/// Which tenant a subscriber sees; nullopt = every tenant (auth.mode =
/// none, or an admin token).
struct subscription {
  std::optional<std::string> tenant;

  bool sees(const std::string& tenant_id) const {
    return !tenant || *tenant == tenant_id;
  }
};

/// What a resume asks the fan-out for (protocol.hpp resume_request,
/// resolved): per partition, replay the retained records after `after`
/// (-1: from the oldest retained).
struct replay_query {
  subscription sub;
  /// Partitions the client named, with its last applied offset.
  std::map<int32_t, int64_t> after;
  /// Replay every partition the fan-out knows, not only the named ones.
  bool all_partitions = true;
  /// Replay nothing; only report the latest offsets (from = latest).
  bool latest_only = false;
  /// At most this many records (replay.max_total); then `capped`.
  std::size_t max_total = 10'000;
};

struct stale_cursor {
  int32_t partition = 0;
  int64_t requested = 0;
  int64_t oldest = 0;
};

/// Offsets of one partition the ring does not keep: (after, before), to be
/// read from Kafka (before < 0: up to what Kafka has).
struct cold_query {
  int32_t partition = 0;
  int64_t after = -1;
  int64_t before = -1;
};

struct replay_result {
  std::vector<record_ptr> records; // per partition in offset order
  std::vector<stale_cursor> stale;
  /// Ranges below the ring: read from Kafka before the ring's records.
  std::vector<cold_query> cold;
  /// Per partition: the last offset the replay covers (or the latest known
  /// for partitions with nothing to replay).
  std::map<int32_t, int64_t> last_offsets;
  bool capped = false;
};

/// Reads from Kafka what the ring no longer keeps (clients/cold_reader.hpp).
struct cold_request {
  subscription sub;
  std::vector<cold_query> ranges;
  /// Records in all, at most (replay.max_total).
  std::size_t limit = 0;
};

struct cold_range_result {
  int32_t partition = 0;
  /// The records the subscription sees, in offset order.
  std::vector<record_ptr> records;
  /// Kafka's first retained offset (above after + 1: some are gone).
  int64_t oldest = 0;
  /// The last offset looked at (kept, or skipped: another tenant, or a
  /// record the pipeline rejected).
  int64_t last_seen = -1;
  /// Stopped at the limit before the end of the range.
  bool truncated = false;
  /// Why Kafka could not be read ("" = it was).
  std::string error;
};

struct cold_response {
  std::vector<cold_range_result> ranges;
};

struct offsets_map {
  std::map<int32_t, int64_t> offsets;
};

// Local-only messages: they share encoded frames and are never serialised.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_batch&) {
  return f(caf::meta::type_name("client_batch"));
}
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription&) {
  return f(caf::meta::type_name("subscription"));
}
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_query&) {
  return f(caf::meta::type_name("replay_query"));
}
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, replay_result&) {
  return f(caf::meta::type_name("replay_result"));
}
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, cold_request&) {
  return f(caf::meta::type_name("cold_request"));
}
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, cold_response&) {
  return f(caf::meta::type_name("cold_response"));
}
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, offsets_map&) {
  return f(caf::meta::type_name("offsets_map"));
}

/// One connected client (clients/session.hpp).
using session_actor = caf::typed_actor<
  // Fan-out: live records of the session's subscription.
  caf::reacts_to<client_batch>,
  // The connection: a text message, an oversized one, the end.
  caf::reacts_to<text_atom, std::string>, caf::reacts_to<too_large_atom>,
  caf::reacts_to<closed_atom>>;

/// The fan-out (clients/fanout.hpp): the pipeline's output in, encoded
/// records out to the sessions; keeps the replay ring.
using fanout_actor = caf::typed_actor<
  caf::reacts_to<actors::validated_batch_ref>,
  // The mirror (clients/mirror.hpp): records of partitions other daemons
  // validate, encoded; the reply says they were taken.
  caf::replies_to<mirror_atom, client_batch>::with<bool>,
  // Sessions: subscribe (monitored; leaves when the session ends).
  caf::reacts_to<actors::subscribe_atom, session_actor, subscription>,
  caf::reacts_to<actors::unsubscribe_atom, session_actor>,
  caf::replies_to<replay_atom, replay_query>::with<replay_result>,
  caf::replies_to<latest_atom>::with<offsets_map>>;

/// Reads older records from Kafka for resumes (clients/cold_reader.hpp).
using cold_reader_actor = caf::typed_actor<
  caf::replies_to<cold_atom, cold_request>::with<cold_response>>;

/// Keeps the sessions (clients/client_supervisor.hpp). A session and its
/// supervisor monitor each other: the supervisor never restarts a session,
/// it counts how sessions ended; a session ends when its supervisor does.
using client_supervisor_actor =
  caf::typed_actor<caf::reacts_to<adopt_atom, session_actor>,
                   // Sessions that failed (crashed, killed) so far.
                   caf::replies_to<actors::stats_atom>::with<uint64_t>>;

} // namespace ds::clients

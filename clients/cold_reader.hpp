#pragma once

#include <functional>

#include <caf/typed_event_based_actor.hpp>

#include "clients/fwd.hpp"

namespace ds::clients {

/// Reads one range of one partition from Kafka: the records `sub` sees,
/// encoded, at most `limit`. Injected (app/ builds it from librdkafka and
/// the codec), so the client half never includes Kafka.
using cold_read_fn = std::function<cold_range_result(
  const cold_query& q, const subscription& sub, std::size_t limit)>;

/// A detached actor (its reads block): one cold request at a time, the
/// ranges in order, the limit shared by all of them.
cold_reader_actor::behavior_type cold_reader(cold_reader_actor::pointer self,
                                             cold_read_fn read);

/// `res` (the ring's answer) with the cold ranges' records put before the
/// ring's records of their partitions, cut at `max_total`: a partition
/// whose records are cut ends where they were cut, and the replay is then
/// capped. `after` is the client's cursor per partition. Stale cursors
/// (Kafka no longer has them, or could not be read) go to res.stale.
void merge_cold(replay_result& res, const cold_response& cold,
                const std::map<int32_t, int64_t>& after, std::size_t max_total);

} // namespace ds::clients

#pragma once

#include <memory>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "clients/clients_probe.hpp"
#include "clients/fwd.hpp"
#include "clients/replay_ring.hpp"

namespace ds::clients {

struct fanout_config {
  /// The replay ring's bound (replay.ring_bytes).
  std::size_t ring_bytes = 64u << 20;
};

struct fanout_state {
  static inline const char* name = "fanout";

  struct subscriber {
    session_actor handle;
    subscription sub;
  };
  replay_ring ring{0};
  std::vector<subscriber> subscribers;
  std::shared_ptr<clients_probe> probe;
};

/// Receives the pipeline's validated records once (it subscribes to the
/// egress), encodes each record's frames once, keeps them in the replay
/// ring and hands every session the records its subscription sees, in one
/// message per batch. Resumes are answered from the ring; because the
/// answer and the live batches come from this one actor, a session sees
/// the replay and the live stream in a consistent order.
/// Subscribes itself to `source` (the egress) when given one.
fanout_actor::behavior_type
fanout(fanout_actor::stateful_pointer<fanout_state> self, fanout_config cfg,
       std::shared_ptr<clients_probe> probe,
       const actors::egress_actor& source);

/// The replay `q` asks for, from `ring` (the fan-out's handler; a plain
/// function so it is tested without actors).
replay_result run_replay(const replay_ring& ring, const replay_query& q);

} // namespace ds::clients

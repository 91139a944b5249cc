#pragma once

#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "clients/clients_probe.hpp"
#include "clients/fwd.hpp"

namespace ds::clients {

struct client_supervisor_state {
  static inline const char* name = "client_sessions";
  uint64_t failures = 0;
  std::shared_ptr<clients_probe> probe;
};

/// The parent of every client session (a child of the root supervisor).
/// A session that ends by anything but its connection closing counts as a
/// failure; its connection is closed by the session's own exit hook. No
/// session is ever restarted: a client reconnects and resumes.
client_supervisor_actor::behavior_type client_supervisor(
  client_supervisor_actor::stateful_pointer<client_supervisor_state> self,
  std::shared_ptr<clients_probe> probe);

} // namespace ds::clients

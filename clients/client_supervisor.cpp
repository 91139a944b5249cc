#include "clients/client_supervisor.hpp"

#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

namespace ds::clients {

client_supervisor_actor::behavior_type client_supervisor(
  client_supervisor_actor::stateful_pointer<client_supervisor_state> self,
  std::shared_ptr<clients_probe> probe) {
  self->state.probe = std::move(probe);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.reason && dm.reason != caf::exit_reason::normal) {
      ++self->state.failures;
      self->state.probe->session_failures.Increment();
    }
  });
  return {
    [self](adopt_atom, const session_actor& s) { self->monitor(s); },
    [self](actors::stats_atom) { return self->state.failures; },
  };
}

} // namespace ds::clients

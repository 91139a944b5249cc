#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "clients/clients_probe.hpp"
#include "clients/fwd.hpp"
#include "clients/protocol.hpp"

namespace ds::clients {

struct session_config {
  protocol_limits limits;
  /// Largest client message (http.ws_max_message_bytes), for its error.
  std::size_t max_message_bytes = 1u << 20;
  /// Contract §5.4: a client this many records behind is disconnected
  /// (replay.slow_client_threshold).
  uint64_t slow_threshold = 1000;
  /// A client whose backlog never reaches zero for this long is
  /// disconnected too (replay.slow_client_window_secs).
  std::chrono::seconds slow_window{60};
  /// Records per resume before `capped` (replay.max_total).
  std::size_t replay_max_total = 10'000;
  /// Records queued per replay page; the next page waits until the
  /// client's backlog falls below half of it.
  std::size_t replay_page = 1000;
  /// Longest a resume may take (replay.timeout_secs).
  std::chrono::seconds replay_timeout{30};
  /// How often the backlog is checked while a replay is paged, and
  /// otherwise.
  caf::timespan paging_tick = std::chrono::milliseconds{20};
  caf::timespan idle_tick = std::chrono::seconds{1};
};

/// The session's own type: its handle plus its timer.
using session_impl = session_actor::extend<caf::reacts_to<check_atom>>;

struct session_state {
  static inline const char* name = "client_session";

  std::shared_ptr<http::ws_connection> conn;
  subscription sub;
  fanout_actor fanout;
  /// Null: a resume older than the ring gets cursor_stale.
  cold_reader_actor cold;
  client_supervisor_actor supervisor;
  session_config cfg;
  std::shared_ptr<clients_probe> probe;

  /// Per partition, the last offset queued to the client: what a live
  /// batch held during a replay is deduplicated against.
  std::map<int32_t, int64_t> last_sent;
  /// Live records are forwarded (false after a capped replay: the client
  /// resumes again for the rest, and the ring still has it).
  bool live = true;
  bool resuming = false;
  /// The fan-out has answered the resume; its records are being paged.
  bool replay_answered = false;
  /// Live batches that arrive while a replay is paged; at most
  /// replay_max_total records, then the client is disconnected.
  std::vector<client_batch> held;
  std::size_t held_records = 0;

  // The replay being paged.
  std::vector<record_ptr> pending;
  std::size_t pending_at = 0;
  replay_result replay;
  resume_mode mode = resume_mode::automatic;
  /// The client's cursor of the resume being served.
  std::map<int32_t, int64_t> resume_after;
  // The actor clock's time: virtual under CAF's test coordinator.
  caf::actor_clock::time_point replay_deadline;
  caf::actor_clock::time_point caught_up_at;
  bool closing = false;
};

/// One connected client: the protocol of contract §5.2/§5.3 over `conn`,
/// fed by the fan-out. Ends when the connection closes; closes the
/// connection when it ends (1011 if it failed).
session_impl::behavior_type
client_session(session_impl::stateful_pointer<session_state> self,
               const std::shared_ptr<http::ws_connection>& conn,
               subscription sub, fanout_actor fanout, cold_reader_actor cold,
               client_supervisor_actor supervisor, session_config cfg,
               std::shared_ptr<clients_probe> probe);

} // namespace ds::clients

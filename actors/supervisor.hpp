#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/errc.hpp"
#include "actors/fwd.hpp"
#include "actors/supervisor_probe.hpp"
#include "actors/vocabulary.hpp"

namespace ds::actors {

enum class restart_strategy : uint8_t {
  /// Restart only the child that failed.
  one_for_one,
  /// Stop every child and restart all of them, in spec order: for children
  /// whose state only makes sense together.
  one_for_all,
};

enum class restart_policy : uint8_t {
  /// Always restarted, whatever the exit reason.
  permanent,
  /// Restarted only after an abnormal exit.
  transient,
  /// Never restarted.
  temporary,
};

/// How to run one child. `start` spawns it (the supervisor monitors it);
/// `on_start` sees every new instance, first start and restarts alike, so
/// whoever routes to the child can swap its handle.
struct child_spec {
  /// Unique within the supervisor.
  std::string name;
  /// Metric label: a small fixed set (validator, partition_reader, ...).
  std::string kind;
  std::function<caf::actor(caf::actor_system&)> start;
  restart_policy policy = restart_policy::permanent;
  std::function<void(const caf::actor&)> on_start;
};

struct supervisor_config {
  std::string name = "root";
  restart_strategy strategy = restart_strategy::one_for_one;
  /// Restart intensity: more than `max_restarts` restarts within `within`
  /// and the supervisor gives up, stops its children and exits with
  /// errc::restart_intensity_exceeded, escalating to its own supervisor.
  std::size_t max_restarts = 5;
  caf::timespan within = std::chrono::seconds(60);
  /// Backoff before a restart: initial * 2^(recent restarts), capped, then
  /// spread by +/- jitter so restarted children do not stampede.
  caf::timespan backoff_initial = std::chrono::milliseconds(100);
  caf::timespan backoff_max = std::chrono::seconds(10);
  double jitter = 0.2;
  /// Seed for the jitter (tests pass a fixed one).
  uint64_t seed = std::random_device{}();
};

/// The one place a child's handle changes type. A supervisor keeps its
/// children as untyped caf::actor (they differ in type); callers see
/// them typed through these two functions only.
template<class Handle>
caf::actor untyped_handle(const Handle& h) {
  return caf::actor_cast<caf::actor>(h);
}

template<class Handle>
Handle typed_handle(const caf::actor& h) {
  return caf::actor_cast<Handle>(h);
}

/// A child spec whose start function returns, and whose on_start callback
/// receives, the child's typed handle.
template<class Handle>
child_spec typed_child(std::string name, std::string kind,
                       std::function<Handle(caf::actor_system&)> start,
                       restart_policy policy = restart_policy::permanent,
                       std::function<void(const Handle&)> on_start = {}) {
  child_spec spec;
  spec.name = std::move(name);
  spec.kind = std::move(kind);
  spec.start = [start = std::move(start)](caf::actor_system& sys) {
    return untyped_handle(start(sys));
  };
  spec.policy = policy;
  if (on_start) {
    spec.on_start = [f = std::move(on_start)](const caf::actor& h) {
      f(typed_handle<Handle>(h));
    };
  }
  return spec;
}

} // namespace ds::actors

// Child specs carry std::functions: they only ever travel between actors
// of one process, never over the wire.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ds::actors::child_spec)

namespace ds::actors {

/// Handle: supervisor_actor (actors/fwd.hpp); a backoff expiring is the
/// message it sends itself.
using supervisor_impl =
  supervisor_actor::extend<caf::reacts_to<restart_atom, uint64_t>>;

struct supervisor_state {
  static inline const char* name = "supervisor";

  struct child {
    child_spec spec;
    caf::actor handle; // invalid while waiting for a restart
  };

  supervisor_config cfg;
  std::shared_ptr<supervisor_probe> probe;
  std::vector<child> children; // in start order
  std::deque<caf::actor_clock::time_point> recent_restarts;
  std::map<uint64_t, std::vector<std::string>> pending; // round -> names
  uint64_t next_round = 0;
  uint64_t restarts = 0;
  std::mt19937_64 rng;
};

/// Runs on the CAF scheduler and never blocks. Children are monitored,
/// not linked, so a child's failure reaches the supervisor as a down
/// message it can act on; when the supervisor itself stops, it stops its
/// children first.
supervisor_impl::behavior_type
supervisor(supervisor_impl::stateful_pointer<supervisor_state> self,
           supervisor_config cfg, std::shared_ptr<supervisor_probe> probe,
           std::vector<child_spec> initial_children);

} // namespace ds::actors

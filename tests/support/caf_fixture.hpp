#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <prometheus/registry.h>

#include "diag/errc.hpp"

namespace ds::test {

/// A CAF actor system on the deterministic test coordinator: no worker
/// threads, messages run only when the test says so, and time moves only
/// when the test advances the clock. Usable from Catch2 (CAF's own test
/// DSL assumes its unit-test framework).
struct caf_fixture {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    // So a failing test prints "actors: duplicate_child: ...", not a code.
    diag::register_error_categories(cfg);
    return cfg;
  }

  caf_fixture()
    : sys(init(sys_cfg)), self(sys, true),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    sched.clock().current_time += std::chrono::hours(1);
  }

  ~caf_fixture() { run(); }

  /// Runs every actor until all mailboxes are empty.
  std::size_t run() { return sched.run(); }

  /// Moves the test clock, firing due timeouts and delayed messages.
  std::size_t advance(caf::timespan d) { return sched.advance_time(d); }

  /// Declared first so it outlives the actor system: probes hand out
  /// references to series the registry owns, and actors touch them until
  /// the system is gone.
  prometheus::Registry registry;
  caf::actor_system_config sys_cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& sched;
};

} // namespace ds::test

#include "actors/supervisor.hpp"

#include <algorithm>

#include <caf/exit_reason.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "diag/log.hpp"

namespace ds::actors {

namespace {

using self_ptr = supervisor_impl::stateful_pointer<supervisor_state>;

supervisor_state::child* find_by_name(self_ptr self, const std::string& n) {
  for (auto& c : self->state.children) {
    if (c.spec.name == n) {
      return &c;
    }
  }
  return nullptr;
}

supervisor_state::child* find_by_addr(self_ptr self,
                                      const caf::actor_addr& addr) {
  for (auto& c : self->state.children) {
    if (c.handle && c.handle.address() == addr) {
      return &c;
    }
  }
  return nullptr;
}

void start_child(self_ptr self, supervisor_state::child& c) {
  c.handle = c.spec.start(self->system());
  self->monitor(c.handle);
  if (c.spec.on_start) {
    c.spec.on_start(c.handle);
  }
}

// Stops a child without triggering a restart: forget the handle first, so
// its down message finds no match.
void stop_child(self_ptr self, supervisor_state::child& c,
                const caf::error& reason) {
  if (c.handle) {
    auto h = std::move(c.handle);
    c.handle = caf::actor{};
    self->demonitor(h);
    self->send_exit(h, reason);
  }
}

void stop_all(self_ptr self, const caf::error& reason) {
  // Reverse start order: later children may depend on earlier ones.
  for (auto it = self->state.children.rbegin();
       it != self->state.children.rend(); ++it) {
    stop_child(self, *it, reason);
  }
}

caf::timespan backoff(self_ptr self) {
  auto& st = self->state;
  auto exponent = std::min<std::size_t>(st.recent_restarts.size(), 30);
  auto base = st.cfg.backoff_initial * (int64_t{1} << (exponent - 1));
  if (base > st.cfg.backoff_max || base < st.cfg.backoff_initial) {
    base = st.cfg.backoff_max;
  }
  std::uniform_real_distribution<double> spread(1.0 - st.cfg.jitter,
                                                1.0 + st.cfg.jitter);
  auto ns = static_cast<double>(base.count()) * spread(st.rng);
  return caf::timespan{static_cast<int64_t>(ns)};
}

bool should_restart(const child_spec& spec, const caf::error& reason) {
  switch (spec.policy) {
    case restart_policy::permanent:
      return true;
    case restart_policy::transient:
      return reason && reason != caf::exit_reason::normal;
    case restart_policy::temporary:
      break;
  }
  return false;
}

void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto* c = find_by_addr(self, msg.source);
  if (c == nullptr) {
    return; // stopped on purpose, or already replaced
  }
  auto name = c->spec.name;
  auto kind = c->spec.kind;
  c->handle = caf::actor{};
  if (!should_restart(c->spec, msg.reason)) {
    st.children.erase(
      std::find_if(st.children.begin(), st.children.end(),
                   [&](const auto& x) { return x.spec.name == name; }));
    return;
  }
  // Restart intensity: how many restarts within the window, this one
  // included.
  auto now = self->clock().now();
  while (!st.recent_restarts.empty() &&
         now - st.recent_restarts.front() > st.cfg.within) {
    st.recent_restarts.pop_front();
  }
  st.recent_restarts.push_back(now);
  if (st.recent_restarts.size() > st.cfg.max_restarts) {
    diag::log_event(
      spdlog::level::err, "supervisor",
      {{"event", "restart_intensity_exceeded"},
       {"supervisor", st.cfg.name},
       {"child", name},
       {"max_restarts", st.cfg.max_restarts},
       {"within_ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.within)
          .count()},
       {"reason", self->system().render(msg.reason)}});
    st.probe->escalations.Add({{"supervisor", st.cfg.name}}).Increment();
    auto err = make_error(errc::restart_intensity_exceeded,
                          st.cfg.name + ": more than " +
                            std::to_string(st.cfg.max_restarts) +
                            " restarts; last failure in " + name);
    stop_all(self, caf::exit_reason::user_shutdown);
    self->quit(err);
    return;
  }
  ++st.restarts;
  st.probe->restarts.Add({{"actor", kind}}).Increment();
  auto delay = backoff(self);
  std::vector<std::string> names;
  if (st.cfg.strategy == restart_strategy::one_for_all) {
    stop_all(self, caf::exit_reason::user_shutdown);
    for (const auto& x : st.children) {
      names.push_back(x.spec.name);
    }
  } else {
    names.push_back(name);
  }
  diag::log_event(
    spdlog::level::warn, "supervisor",
    {{"event", "child_down"},
     {"supervisor", st.cfg.name},
     {"child", name},
     {"kind", kind},
     {"reason", self->system().render(msg.reason)},
     {"restart_in_ms",
      std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()},
     {"restarting", names.size()}});
  auto round = st.next_round++;
  st.pending.emplace(round, std::move(names));
  self->delayed_send(self, delay, restart_atom::value, round);
}

} // namespace

supervisor_impl::behavior_type
supervisor(self_ptr self, supervisor_config cfg,
           std::shared_ptr<supervisor_probe> probe,
           std::vector<child_spec> initial_children) {
  auto& state = self->state;
  state.rng.seed(cfg.seed);
  state.cfg = std::move(cfg);
  state.probe = std::move(probe);
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_child_down(self, msg); });
  // Stopped from outside (our own supervisor, or shutdown): children first.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    stop_all(self, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  for (auto& spec : initial_children) {
    state.children.push_back({std::move(spec), caf::actor{}});
    start_child(self, state.children.back());
  }
  return {
    [self](add_atom, child_spec& spec) -> caf::result<caf::actor> {
      if (find_by_name(self, spec.name) != nullptr) {
        return make_error(errc::duplicate_child, spec.name);
      }
      self->state.children.push_back({std::move(spec), caf::actor{}});
      auto& c = self->state.children.back();
      start_child(self, c);
      return c.handle;
    },
    [self](remove_atom, const std::string& name) {
      auto& children = self->state.children;
      auto it =
        std::find_if(children.begin(), children.end(),
                     [&](const auto& c) { return c.spec.name == name; });
      if (it == children.end()) {
        return false;
      }
      stop_child(self, *it, caf::exit_reason::user_shutdown);
      children.erase(it);
      return true;
    },
    [self](get_atom, const std::string& name) {
      auto* c = find_by_name(self, name);
      return c != nullptr ? c->handle : caf::actor{};
    },
    [self](stats_atom) {
      supervisor_stats s;
      auto& st = self->state;
      s.children = st.children.size();
      s.restarts = st.restarts;
      for (const auto& c : st.children) {
        s.restarting += c.handle ? 0 : 1;
      }
      return s;
    },
    [self](restart_atom, uint64_t round) {
      auto& st = self->state;
      auto it = st.pending.find(round);
      if (it == st.pending.end()) {
        return;
      }
      auto names = std::move(it->second);
      st.pending.erase(it);
      for (const auto& name : names) {
        auto* c = find_by_name(self, name);
        if (c != nullptr && !c->handle) {
          start_child(self, *c);
        }
      }
    },
  };
}

} // namespace ds::actors

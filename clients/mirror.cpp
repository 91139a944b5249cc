#include "clients/mirror.hpp"

#include <algorithm>

#include "diag/errc.hpp"
#include "diag/log.hpp"

#include <nlohmann/json.hpp>

namespace ds::clients {

std::map<int32_t, int64_t>
mirror_starts(const std::vector<int32_t>& remote,
              const std::map<int32_t, int64_t>& next,
              const std::map<int32_t, int64_t>& latest) {
  std::map<int32_t, int64_t> out;
  for (auto p : remote) {
    auto n = next.find(p);
    auto l = latest.find(p);
    int64_t from = mirror_source::from_end;
    if (n != next.end() && n->second != mirror_source::from_end) {
      from = n->second;
    }
    if (l != latest.end() && l->second + 1 > from) {
      from = l->second + 1; // the ring has forwarded up to there
    }
    out[p] = from;
  }
  return out;
}

namespace {

using self_ptr = mirror_actor::stateful_pointer<mirror_state>;

void next_check(self_ptr self, bool at_once) {
  if (at_once) {
    self->send(self, check_atom::value);
  } else {
    self->delayed_send(self, self->state.cfg.poll_interval, check_atom::value);
  }
}

// The assignment changed: ask the ring where it stands, then read the new
// set from there.
void reassign(self_ptr self, std::vector<int32_t> remote) {
  self->state.waiting = true;
  self->request(self->state.fanout, std::chrono::seconds(5), latest_atom::value)
    .then(
      [self, remote = std::move(remote)](const offsets_map& latest) {
        auto& st = self->state;
        st.waiting = false;
        auto from = mirror_starts(remote, st.next, latest.offsets);
        if (auto err = st.source->assign(from)) {
          st.probe->mirror_errors.Increment();
          diag::log_event(spdlog::level::warn, "clients",
                          {{"event", "mirror_assign_failed"},
                           {"error", diag::describe(err)}});
          next_check(self, false);
          return;
        }
        st.next = std::move(from);
        st.probe->mirrored_partitions.Set(static_cast<double>(st.next.size()));
        next_check(self, true);
      },
      [self](const caf::error&) {
        self->state.waiting = false;
        next_check(self, false);
      });
}

void poll_once(self_ptr self) {
  auto& st = self->state;
  auto got = st.source->poll(st.cfg.batch_records, st.cfg.poll_interval);
  if (!got) {
    st.probe->mirror_errors.Increment();
    diag::log_event(spdlog::level::warn, "clients",
                    {{"event", "mirror_poll_failed"},
                     {"error", diag::describe(got.error())}});
    next_check(self, false);
    return;
  }
  for (const auto& [p, off] : got->last) {
    auto it = st.next.find(p);
    if (it != st.next.end()) {
      it->second = off + 1;
    }
  }
  if (got->records.empty()) {
    // Idle: a record produced now waits at most one interval for the next
    // read, and an idle daemon does not spin.
    next_check(self, false);
    return;
  }
  st.probe->mirrored_records.Increment(
    static_cast<double>(got->records.size()));
  auto records =
    std::make_shared<std::vector<record_ptr>>(std::move(got->records));
  st.waiting = true;
  // The next poll waits for the fan-out: at most one batch in flight.
  self
    ->request(st.fanout, caf::infinite, mirror_atom::value,
              client_batch{std::move(records)})
    .then(
      [self](bool) {
        self->state.waiting = false;
        next_check(self, true);
      },
      [self](const caf::error&) {
        self->state.waiting = false;
        next_check(self, false);
      });
}

} // namespace

mirror_actor::behavior_type
mirror(mirror_actor::stateful_pointer<mirror_state> self, mirror_config cfg,
       std::shared_ptr<mirror_source> source, fanout_actor fanout,
       std::shared_ptr<clients_probe> probe) {
  self->state.cfg = cfg;
  self->state.source = std::move(source);
  self->state.fanout = std::move(fanout);
  self->state.probe = std::move(probe);
  next_check(self, true);
  return {
    [self](check_atom) {
      auto& st = self->state;
      if (st.waiting) {
        return; // a reply will check again
      }
      auto remote = st.source->remote_partitions();
      if (remote) {
        std::sort(remote->begin(), remote->end());
        std::vector<int32_t> now;
        for (const auto& [p, off] : st.next) {
          now.push_back(p);
        }
        if (*remote != now) {
          reassign(self, std::move(*remote));
          return;
        }
      }
      if (st.next.empty()) {
        next_check(self, false);
        return;
      }
      poll_once(self);
    },
  };
}

} // namespace ds::clients

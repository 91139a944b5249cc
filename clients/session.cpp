#include "clients/session.hpp"

#include <algorithm>
#include <stdexcept>

#include "clients/cold_reader.hpp"
#include "diag/fault_points.hpp"

#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

namespace ds::clients {

namespace {

using self_ptr = session_impl::stateful_pointer<session_state>;

void schedule_check(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.resuming ? st.cfg.paging_tick : st.cfg.idle_tick,
                     check_atom::value);
}

void close_with(self_ptr self, const nlohmann::json& msg, uint16_t code,
                std::string_view reason, bool discard_queued = false) {
  auto& st = self->state;
  st.closing = true;
  st.conn->send_and_close(text_frame(msg), code, reason, discard_queued);
  self->quit();
}

void disconnect_slow(self_ptr self, uint64_t lag) {
  auto& st = self->state;
  st.probe->slow_disconnects.Increment();
  close_with(
    self,
    disconnect_message(lag, st.cfg.slow_threshold,
                       static_cast<uint32_t>(st.cfg.slow_window.count())),
    1008, "backpressure", true);
}

// Queues `items` (records and their gap frames); a full queue or a backlog
// at the threshold disconnects the client.
void queue(self_ptr self, const std::vector<http::ws_bytes>& items,
           std::size_t records) {
  auto& st = self->state;
  if (items.empty()) {
    return;
  }
  if (!st.conn->send(items)) {
    disconnect_slow(self, st.conn->queued().items + items.size());
    return;
  }
  std::size_t bytes = 0;
  for (const auto& i : items) {
    bytes += i->size();
  }
  st.probe->records_sent.Increment(static_cast<double>(records));
  st.probe->bytes_sent.Increment(static_cast<double>(bytes));
}

// Appends `r` unless the client already has it.
bool add(session_state& st, const record_ptr& r,
         std::vector<http::ws_bytes>& items) {
  auto [it, fresh] = st.last_sent.try_emplace(r->partition, r->offset);
  if (!fresh) {
    if (r->offset <= it->second) {
      return false;
    }
    it->second = r->offset;
  }
  if (r->gap) {
    items.push_back(r->gap);
  }
  items.push_back(r->frames);
  return true;
}

void deliver(self_ptr self, const client_batch& b) {
  auto& st = self->state;
  // Behind by the threshold when new records arrive: a batch larger than
  // the threshold alone does not make a client slow.
  auto lag = st.conn->queued().items;
  if (lag >= st.cfg.slow_threshold) {
    disconnect_slow(self, lag);
    return;
  }
  std::vector<http::ws_bytes> items;
  items.reserve(b.records->size());
  std::size_t n = 0;
  for (const auto& r : *b.records) {
    n += add(st, r, items) ? 1 : 0;
  }
  queue(self, items, n);
}

void finish_replay(self_ptr self) {
  auto& st = self->state;
  for (const auto& [p, off] : st.replay.last_offsets) {
    auto& last = st.last_sent[p];
    last = std::max(last, off);
  }
  queue(
    self,
    {text_frame(replay_complete_message(
      st.pending.size(), st.replay.last_offsets, st.replay.capped, st.mode))},
    0);
  st.probe->replayed_records.Increment(static_cast<double>(st.pending.size()));
  if (st.replay.capped) {
    st.probe->replay_capped.Increment();
  }
  st.resuming = false;
  st.replay_answered = false;
  st.live = !st.replay.capped;
  st.pending.clear();
  st.pending_at = 0;
  auto held = std::move(st.held);
  st.held.clear();
  st.held_records = 0;
  if (st.live) {
    for (const auto& b : held) {
      if (st.closing) {
        return;
      }
      deliver(self, b);
    }
  }
}

// Queues the replay page by page: the next page once the client's backlog
// is down to half a page, replay_complete once the last page is that far
// written (so the live records behind it start from a short queue).
void send_page(self_ptr self) {
  auto& st = self->state;
  auto page = std::max<std::size_t>(
    1, std::min<std::size_t>(st.cfg.replay_page, st.cfg.slow_threshold));
  for (;;) {
    if (st.conn->queued().items > page / 2) {
      return; // the next check continues
    }
    if (st.pending_at == st.pending.size()) {
      finish_replay(self);
      return;
    }
    auto end = std::min(st.pending.size(), st.pending_at + page);
    std::vector<http::ws_bytes> items;
    std::size_t n = 0;
    for (; st.pending_at < end; ++st.pending_at) {
      const auto& r = st.pending[st.pending_at];
      if (r->gap) {
        items.push_back(r->gap);
      }
      items.push_back(r->frames);
      auto& last = st.last_sent[r->partition];
      last = std::max(last, r->offset);
      ++n;
    }
    queue(self, items, n);
    if (st.closing) {
      return;
    }
  }
}

void page_replay(self_ptr self, replay_result res);

// Ranges below the ring are read from Kafka first; with no reader they are
// stale.
void on_replay(self_ptr self, replay_result res) {
  auto& st = self->state;
  if (st.closing) {
    return;
  }
  if (res.cold.empty()) {
    page_replay(self, std::move(res));
    return;
  }
  if (!st.cold) {
    for (const auto& c : res.cold) {
      res.stale.push_back({c.partition, c.after, c.before});
    }
    page_replay(self, std::move(res));
    return;
  }
  st.probe->replay_cold_reads.Increment(static_cast<double>(res.cold.size()));
  cold_request req{st.sub, res.cold, st.cfg.replay_max_total};
  auto ring = std::make_shared<replay_result>(std::move(res));
  self->request(st.cold, st.cfg.replay_timeout, cold_atom::value, req)
    .then(
      [self, ring](cold_response& cold) {
        auto& s = self->state;
        merge_cold(*ring, cold, s.resume_after, s.cfg.replay_max_total);
        page_replay(self, std::move(*ring));
      },
      [self](caf::error&) {
        close_with(self,
                   error_message("REPLAY_TIMEOUT",
                                 "reading older records from Kafka did not "
                                 "complete in time"),
                   1011, "replay timeout");
      });
}

void page_replay(self_ptr self, replay_result res) {
  auto& st = self->state;
  if (st.closing) {
    return;
  }
  std::vector<http::ws_bytes> stale;
  for (const auto& s : res.stale) {
    stale.push_back(
      text_frame(cursor_stale_message(s.partition, s.requested, s.oldest)));
    st.probe->replay_stale.Increment();
  }
  queue(self, stale, 0);
  st.pending = std::move(res.records);
  st.pending_at = 0;
  st.replay_answered = true;
  st.replay = std::move(res);
  st.replay.records.clear();
  send_page(self);
}

void start_resume(self_ptr self, const resume_request& req) {
  auto& st = self->state;
  st.probe->replays.Increment();
  st.resuming = true;
  st.replay_answered = false;
  st.live = true;
  st.mode = req.mode;
  st.pending.clear();
  st.pending_at = 0;
  st.replay_deadline = self->clock().now() + st.cfg.replay_timeout;
  replay_query q;
  q.sub = st.sub;
  q.max_total = st.cfg.replay_max_total;
  q.all_partitions = true;
  q.latest_only = req.from == resume_from::latest;
  if (req.from != resume_from::earliest) {
    q.after = req.last_offsets;
  }
  st.resume_after = q.after;
  self->request(st.fanout, st.cfg.replay_timeout, replay_atom::value, q)
    .then([self](replay_result& res) { on_replay(self, std::move(res)); },
          [self](caf::error&) {
            close_with(self,
                       error_message("REPLAY_TIMEOUT",
                                     "the replay did not complete in time"),
                       1011, "replay timeout");
          });
}

void cursor_reset(self_ptr self) {
  auto& st = self->state;
  self->request(st.fanout, st.cfg.replay_timeout, latest_atom::value)
    .then(
      [self](offsets_map& latest) {
        auto& s = self->state;
        for (const auto& [p, off] : latest.offsets) {
          auto& last = s.last_sent[p];
          last = std::max(last, off);
        }
        s.live = true;
        queue(self, {text_frame(cursor_reset_complete_message(latest.offsets))},
              0);
      },
      [](caf::error&) {});
}

void on_text(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto msg = parse_client_message(text, st.cfg.limits);
  using kind = client_message::kind;
  switch (msg.what) {
    case kind::ping:
      queue(self, {text_frame(pong_message())}, 0);
      break;
    case kind::cursor_reset:
      cursor_reset(self);
      break;
    case kind::resume:
      start_resume(self, msg.resume);
      break;
    case kind::unknown:
      break;
    case kind::invalid:
      st.probe->invalid_messages.Increment();
      break;
    case kind::too_many_partitions:
      close_with(self,
                 error_message("RESUME_TOO_MANY_PARTITIONS",
                               "a resume may name at most " +
                                 std::to_string(st.cfg.limits.max_partitions) +
                                 " partitions"),
                 1008, "too many partitions");
      break;
    case kind::too_many_threads:
      close_with(self,
                 error_message("RESUME_TOO_MANY_THREADS",
                               "a resume may name at most " +
                                 std::to_string(st.cfg.limits.max_threads) +
                                 " threads"),
                 1008, "too many threads");
      break;
  }
}

void on_check(self_ptr self) {
  auto& st = self->state;
  if (st.closing) {
    return;
  }
  auto now = self->clock().now();
  if (st.resuming && now > st.replay_deadline) {
    close_with(
      self,
      error_message("REPLAY_TIMEOUT", "the replay did not complete in time"),
      1011, "replay timeout");
    return;
  }
  if (st.resuming && st.replay_answered) {
    send_page(self);
    if (st.closing) {
      return;
    }
  }
  auto backlog = st.conn->queued().items;
  if (backlog == 0) {
    st.caught_up_at = now;
  } else if (now - st.caught_up_at >= st.cfg.slow_window) {
    disconnect_slow(self, backlog);
    return;
  }
  schedule_check(self);
}

} // namespace

session_impl::behavior_type
client_session(session_impl::stateful_pointer<session_state> self,
               const std::shared_ptr<http::ws_connection>& conn,
               subscription sub, fanout_actor fanout, cold_reader_actor cold,
               client_supervisor_actor supervisor, session_config cfg,
               std::shared_ptr<clients_probe> probe) {
  auto& st = self->state;
  st.conn = conn;
  st.sub = std::move(sub);
  st.fanout = std::move(fanout);
  st.cold = std::move(cold);
  st.supervisor = std::move(supervisor);
  st.cfg = cfg;
  st.probe = std::move(probe);
  st.caught_up_at = self->clock().now();
  st.probe->sessions.Increment();
  // However the session ends, its connection ends with it: 1000 when the
  // client left, 1001 when the server stops, 1011 when the session failed.
  self->attach_functor([conn, p = st.probe](const caf::error& reason) {
    p->sessions.Decrement();
    if (!reason || reason == caf::exit_reason::normal) {
      conn->close(1000, "");
    } else if (reason == caf::exit_reason::user_shutdown) {
      conn->close(1001, "server stopping");
    } else {
      conn->close(1011, "session failed");
    }
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source == self->state.supervisor.address()) {
      self->quit(caf::exit_reason::user_shutdown);
    }
  });
  if (st.fanout && st.supervisor) {
    self->monitor(st.supervisor);
    self->send(st.supervisor, adopt_atom::value,
               caf::actor_cast<session_actor>(self));
    self->send(st.fanout, actors::subscribe_atom::value,
               caf::actor_cast<session_actor>(self), st.sub);
    schedule_check(self);
  } else {
    self->quit(caf::exit_reason::user_shutdown);
  }
  return {
    [self](const client_batch& b) {
      auto& s = self->state;
      if (s.closing || !s.live) {
        return;
      }
      if (s.resuming) {
        s.held.push_back(b);
        s.held_records += b.records->size();
        if (s.held_records > s.cfg.replay_max_total) {
          disconnect_slow(self, s.held_records);
        }
        return;
      }
      deliver(self, b);
    },
    [self](text_atom, const std::string& text) {
      if (const auto* faults = diag::installed_fault_handlers();
          faults != nullptr && faults->session_text != nullptr) {
        faults->session_text(text);
      }
      if (!self->state.closing) {
        on_text(self, text);
      }
    },
    [self](too_large_atom) {
      auto& s = self->state;
      s.probe->oversized_messages.Increment();
      close_with(self,
                 error_message("CONTROL_FRAME_TOO_LARGE",
                               "client messages are limited to " +
                                 std::to_string(s.cfg.max_message_bytes) +
                                 " bytes"),
                 1009, "message too big");
    },
    [self](closed_atom) {
      self->state.closing = true;
      self->quit();
    },
    [self](check_atom) { on_check(self); },
  };
}

} // namespace ds::clients

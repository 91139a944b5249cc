#include "actors/partition_reader.hpp"

#include <array>
#include <chrono>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/errc.hpp"
#include "proto/errc.hpp"
#include "proto/headers.hpp"

namespace ds::actors {

namespace {

using self_ptr =
  partition_reader_actor::stateful_pointer<partition_reader_state>;

constexpr int64_t max_latency_us = 60'000'000;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void schedule_flush(self_ptr self) {
  auto& st = self->state;
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

void answer_drains(self_ptr self) {
  auto& st = self->state;
  auto commit = st.watermark.commit_offset().value_or(-1);
  for (auto& rp : st.drains) {
    rp.deliver(commit);
  }
  st.drains.clear();
}

// The watermark may move past `offset`: the record is fully processed
// (validated, and durable in the DLQ if it was rejected).
void complete(self_ptr self, int64_t offset) {
  auto& st = self->state;
  st.watermark.complete(offset);
  if (!st.crashes.empty()) {
    st.crashes.erase(offset);
  }
  ++st.stats.completed;
  ++st.debt->done;
  schedule_flush(self);
  if (!st.drains.empty() && st.watermark.in_flight() == 0) {
    answer_drains(self);
  }
}

// Outcome and latency of a validated record.
void account(self_ptr self, int64_t offset, int64_t header_ts_us,
             bool rejected) {
  auto& st = self->state;
  auto& p = *st.probe;
  if (rejected) {
    ++st.stats.rejected;
    p.rejected.Increment();
  } else {
    ++st.debt->ok;
  }
  if (offset < st.cfg.live_from_offset) {
    ++st.debt->backlog;
  } else if (header_ts_us > 0) {
    auto lat = now_us() - header_ts_us;
    if (lat < 0 || lat > max_latency_us) {
      p.clock_skew.Increment();
    } else {
      p.e2e_latency.Observe(static_cast<double>(lat) / 1e6);
    }
  }
}

// A record is done: every validator it went to has answered (or it needed
// none). Only now may the watermark move past it.
void finish(self_ptr self, int64_t offset, int64_t header_ts_us,
            bool rejected) {
  account(self, offset, header_ts_us, rejected);
  complete(self, offset);
}

// RFC 3339 "now" for the envelopes, formatted at most once per millisecond.
std::string_view dlq_timestamp(self_ptr self) {
  auto& st = self->state;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              now.time_since_epoch())
              .count();
  if (ms != st.dlq_stamp_ms) {
    st.dlq_stamp = dlq::rfc3339(now);
    st.dlq_stamp_ms = ms;
  }
  return st.dlq_stamp;
}

void retry_dlq_later(self_ptr self) {
  auto& st = self->state;
  if (!st.dlq_retry_scheduled) {
    st.dlq_retry_scheduled = true;
    self->delayed_send(self, st.cfg.refresh_delay, dlq_retry_atom::value);
  }
}

// Everything rejected since the last send goes to the writer as one
// request; its reply completes them all.
void send_dlq(self_ptr self) {
  auto& st = self->state;
  if (st.dlq_outbox.empty()) {
    return;
  }
  auto writer = st.cfg.dlq();
  if (!writer) { // restarting: ask again shortly
    retry_dlq_later(self);
    return;
  }
  auto offsets = std::move(st.dlq_outbox);
  st.dlq_outbox.clear();
  dlq_batch batch;
  batch.records.reserve(offsets.size());
  for (auto offset : offsets) {
    batch.records.push_back(st.dlq_waiting.at(offset));
  }
  self->request(writer, caf::infinite, dlq_atom::value, std::move(batch))
    .then(
      [self, offsets](bool) {
        for (auto offset : offsets) {
          auto& waiting = self->state.dlq_waiting;
          if (auto it = waiting.find(offset); it != waiting.end()) {
            self->state.dlq_bytes -= it->second->held_bytes();
            waiting.erase(it);
            complete(self, offset);
          }
        }
      },
      [self, offsets](caf::error&) {
        // The writer died with them: send them again to the next one.
        auto& out = self->state.dlq_outbox;
        out.insert(out.end(), offsets.begin(), offsets.end());
        retry_dlq_later(self);
      });
}

// A rejected record is done only once the DLQ holds it durably. Its DLQ
// record is built here, so the readers write envelopes in parallel, and
// straight from the polled batch: thread and tenant come from the record's
// own header when it decodes (a halted or poison record); an undecodable
// one has none to offer.
void reject(self_ptr self, const source_record& rec,
            std::string_view error_type, std::string_view error,
            std::string_view stage, std::string_view exception_class) {
  auto& st = self->state;
  const auto offset = rec.offset;
  if (!st.cfg.dlq) {
    complete(self, offset);
    return;
  }
  const auto headers = rec.headers();
  dlq::rejected_view r;
  r.source_topic = st.cfg.topic;
  r.partition = st.cfg.partition;
  r.offset = offset;
  r.consumer_group = st.cfg.group_id;
  r.key = rec.key;
  r.headers = headers;
  r.payload = rec.value;
  r.payload_missing = rec.value.data() == nullptr;
  r.error_type = error_type;
  r.error = error;
  r.stage = stage;
  r.exception_class = exception_class;
  r.kafka_timestamp_ms = rec.timestamp_ms;
  for (const auto& [name, value] : headers) {
    if (name == "traceparent") {
      r.traceparent = value;
    }
  }
  proto::message msg; // the views below point into it
  if (stage != "decode" && proto::decode(rec.value, st.cfg.decode, msg)) {
    if (const auto* h = proto::top_header(msg)) {
      r.thread_id = h->thread_id();
      r.tenant_id = h->tenant_id();
      r.received_sequence = h->sequence();
    }
  }
  auto record = std::make_shared<const dlq::dlq_record>(
    st.cfg.dlq_format.make(r, dlq_timestamp(self)));
  st.dlq_bytes += record->held_bytes();
  auto [it, added] = st.dlq_waiting.try_emplace(offset, record);
  if (!added) {
    st.dlq_bytes -= it->second->held_bytes();
    it->second = std::move(record);
  }
  st.dlq_outbox.push_back(offset);
  schedule_flush(self); // sends what on_batch itself does not (replies)
}

// One validator has answered for the record at `offset`.
void on_reply(self_ptr self, int64_t offset, uint32_t rejected_items) {
  auto& st = self->state;
  auto it = st.pending.find(offset);
  if (it == st.pending.end()) {
    return; // answered twice (redelivery raced a late reply), or poison
  }
  auto& pr = it->second;
  pr.rejected += rejected_items;
  if (--pr.waiting == 0) {
    auto ts = pr.header_ts_us;
    auto rec = std::move(pr.rec);
    bool rejected = pr.rejected > 0;
    st.pending.erase(it);
    if (!rejected) {
      finish(self, offset, ts, false);
      return;
    }
    // Policy halt: the thread is quarantined; the record goes to the DLQ.
    account(self, offset, ts, true);
    reject(self, rec, "halted_thread",
           "thread halted by a sequence gap (validation.policy = halt); "
           "reset it with `dashstream thread reset`",
           "validate", "ds::actors::sequence_halted");
  }
}

// A batch is answered: every record in it has passed this validator,
// except the few listed as rejected (in offset order).
void on_batch_reply(self_ptr self, uint32_t idx,
                    const std::shared_ptr<const validation_batch>& b,
                    const std::vector<validation_reply>& rejected) {
  auto& q = self->state.outstanding[idx];
  if (auto it = std::find(q.begin(), q.end(), b); it != q.end()) {
    q.erase(it);
  }
  auto r = rejected.begin();
  b->for_each_record([&](int64_t offset, std::size_t, std::size_t) {
    uint32_t n = 0;
    if (r != rejected.end() && r->offset == offset) {
      n = r->rejected;
      ++r;
    }
    on_reply(self, offset, n);
  });
}

// One message per validator for all of a batch's records routed there:
// the actor runtime's per-message cost dominated when every record was its
// own request (docs/bench/history.md, session 1).
void send_batch(self_ptr self, uint32_t idx,
                std::shared_ptr<const validation_batch> b) {
  const auto& v = self->state.cfg.validators[idx];
  if (!v) {
    return; // restarting: the refresh resends everything outstanding
  }
  self->request(v, caf::infinite, validate_atom::value, validation_batch_ref{b})
    .then(
      [self, idx, b](std::vector<validation_reply>& rejected) {
        on_batch_reply(self, idx, b, rejected);
      },
      [](caf::error&) {
        // The validator died with this batch queued or running; its down
        // message triggers the redelivery.
      });
}

// "ds::proto::errc::<reason>", the envelope's exception_class for a decode
// error: built once per reason, not per rejected record.
std::string_view exception_class_of(proto::errc code) {
  static const auto names = [] {
    std::array<std::string, 256> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = "ds::proto::errc::" +
               std::string{proto::to_string(static_cast<proto::errc>(i))};
    }
    return out;
  }();
  return names[static_cast<uint8_t>(code)];
}

// A batch's decode errors, added to the counters once when the batch is
// done (or a test hook throws): every reader shares those counters, and an
// increment per record made their cache lines bounce between the cores in
// an all-bad round (docs/bench/history.md, session 12).
class decode_error_tally {
public:
  explicit decode_error_tally(partition_reader_probe& p) : probe_{p} {}
  decode_error_tally(const decode_error_tally&) = delete;
  decode_error_tally& operator=(const decode_error_tally&) = delete;

  ~decode_error_tally() {
    if (total_ == 0) {
      return;
    }
    probe_.decode_error.Increment(static_cast<double>(total_));
    for (std::size_t i = 0; i < by_code_.size(); ++i) {
      if (by_code_[i] > 0) {
        probe_.decode_errors_for(static_cast<proto::errc>(i))
          .Increment(static_cast<double>(by_code_[i]));
      }
    }
  }

  void add(proto::errc code) {
    ++total_;
    auto i = static_cast<std::size_t>(code);
    ++by_code_[i < by_code_.size() ? i : 0];
  }

private:
  partition_reader_probe& probe_;
  uint64_t total_ = 0;
  std::array<uint64_t,
             std::tuple_size_v<decltype(partition_reader_probe::decode_errors)>>
    by_code_{};
};

void on_batch(self_ptr self, const record_batch& batch) {
  auto& st = self->state;
  auto& p = *st.probe;
  auto validators = static_cast<uint32_t>(st.cfg.validators.size());
  const auto n = batch.records->size();
  p.in_flight.Increment(static_cast<double>(n));
  st.debt->in_flight += static_cast<int64_t>(n);
  std::vector<std::shared_ptr<validation_batch>> to_send(validators);
  // Per record: the validators its headers went to. Most records carry
  // one header, so this stays tiny.
  std::vector<uint32_t> routed;
  decode_error_tally decode_errors{p};
  st.arena->Reset();
  st.scratch =
    google::protobuf::Arena::CreateMessage<proto::message>(st.arena.get());
  for (const auto& rec : *batch.records) {
#ifdef DS_TEST_HOOKS
    if (rec.key == reader_crash_key && reader_crash_budget != 0) {
      if (reader_crash_budget > 0) {
        --reader_crash_budget;
      }
      throw std::runtime_error("test hook: partition reader crash requested");
    }
#endif
    ++st.stats.received;
    st.watermark.track(rec.offset);
    auto info = proto::decode(rec.value, st.cfg.decode, *st.scratch);
    if (!info) {
      ++st.stats.decode_errors;
      auto code = proto::to_errc(info.error());
      decode_errors.add(code);
      reject(self, rec, proto::contract_error_type(code),
             proto::describe(info.error()), "decode", exception_class_of(code));
      continue;
    }
    routed.clear();
    proto::for_each_header(*st.scratch, [&](const proto::header& h) {
      if (h.thread_id().empty() || h.sequence() == 0) {
        return; // unsequenced (§3): nothing to validate
      }
      auto idx = validator_index(h.thread_id(), validators);
      if (std::find(routed.begin(), routed.end(), idx) == routed.end()) {
        routed.push_back(idx);
      }
      auto& b = to_send[idx];
      if (!b) {
        b = std::make_shared<validation_batch>();
        b->partition = st.cfg.partition;
      }
      b->add(rec.offset, h.thread_id(), h.sequence());
    });
    const auto* top = proto::top_header(*st.scratch);
    auto ts = top != nullptr ? top->timestamp_us() : 0;
    if (routed.empty()) {
      finish(self, rec.offset, ts, false);
      continue;
    }
    st.pending.emplace(rec.offset,
                       partition_reader_state::pending_record{
                         rec, ts, static_cast<uint32_t>(routed.size()), 0});
  }
  for (uint32_t idx = 0; idx < validators; ++idx) {
    if (to_send[idx]) {
      std::shared_ptr<const validation_batch> b = std::move(to_send[idx]);
      st.outstanding[idx].push_back(b);
      send_batch(self, idx, std::move(b));
    }
  }
  // Now, not at the flush: the flush is a message queued behind every batch
  // already in the mailbox, and the DLQ records waited for all of them.
  send_dlq(self);
}

// What a restarted validator gets again: the unanswered batches, without
// the records that left meanwhile (poison).
std::shared_ptr<const validation_batch>
still_pending(const partition_reader_state& st,
              const std::shared_ptr<const validation_batch>& b,
              uint64_t& records) {
  auto copy = std::make_shared<validation_batch>();
  copy->partition = b->partition;
  b->for_each_record([&](int64_t offset, std::size_t i, std::size_t j) {
    if (st.pending.count(offset) == 0) {
      return;
    }
    ++records;
    for (; i < j; ++i) {
      copy->add(offset, b->thread_id(b->items[i]), b->items[i].sequence);
    }
  });
  return copy->items.empty() ? nullptr : copy;
}

void refresh_validator(self_ptr self, uint32_t idx) {
  auto& st = self->state;
  self
    ->request(st.cfg.validators_supervisor, caf::infinite, get_atom::value,
              st.cfg.validator_names[idx])
    .then(
      [self, idx](caf::actor& handle) {
        auto& s = self->state;
        if (!handle) { // still in its backoff
          self->delayed_send(self, s.cfg.refresh_delay, refresh_atom::value,
                             idx);
          return;
        }
        auto v = caf::actor_cast<validator_actor>(handle);
        s.cfg.validators[idx] = v;
        self->monitor(v);
        auto old = std::move(s.outstanding[idx]);
        s.outstanding[idx].clear();
        uint64_t records = 0;
        for (const auto& b : old) {
          if (auto again = still_pending(s, b, records)) {
            s.outstanding[idx].push_back(again);
            send_batch(self, idx, std::move(again));
          }
        }
        s.stats.redelivered += records;
        s.probe->redelivered.Increment(static_cast<double>(records));
      },
      [self, idx](caf::error&) {
        self->delayed_send(self, self->state.cfg.refresh_delay,
                           refresh_atom::value, idx);
      });
}

// A validator died while checking one of our records: count it against
// that record, and past the limit take it out of circulation as poison
// instead of crashing the validator again (and again).
void on_validator_crash(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  const auto& ctx = reason.context();
  if (to_errc(reason) != errc::validator_crashed ||
      !ctx.match_elements<std::string, int32_t, int64_t>() ||
      ctx.get_as<int32_t>(1) != st.cfg.partition ||
      st.cfg.poison_max_crashes == 0) {
    return;
  }
  auto offset = ctx.get_as<int64_t>(2);
  auto it = st.pending.find(offset);
  if (it == st.pending.end() ||
      ++st.crashes[offset] < st.cfg.poison_max_crashes) {
    return;
  }
  auto rec = std::move(it->second.rec);
  auto ts = it->second.header_ts_us;
  st.pending.erase(it); // no more redeliveries: still_pending() drops it
  nlohmann::json line{
    {"component", "partition_reader"}, {"event", "poison_record"},
    {"partition", st.cfg.partition},   {"offset", std::to_string(offset)},
    {"crashes", st.crashes[offset]},   {"what", ctx.get_as<std::string>(0)}};
  spdlog::error(
    line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  account(self, offset, ts, true);
  reject(self, rec, "poison",
         "crashed its validator " + std::to_string(st.crashes[offset]) +
           " times: " + ctx.get_as<std::string>(0),
         "poison", "ds::actors::errc::validator_crashed");
}

} // namespace

void partition_reader_state::metric_debt::settle(partition_reader_probe& p,
                                                 bool leaving) {
  if (done > 0) {
    p.in_flight.Decrement(static_cast<double>(done));
    in_flight -= static_cast<int64_t>(done);
    done = 0;
  }
  if (ok > 0) {
    p.ok.Increment(static_cast<double>(ok));
    ok = 0;
  }
  if (backlog > 0) {
    p.backlog.Increment(static_cast<double>(backlog));
    backlog = 0;
  }
  if (leaving) {
    p.in_flight.Decrement(static_cast<double>(in_flight));
    in_flight = 0;
  }
}

uint32_t validator_index(std::string_view thread_id, uint32_t validators) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : thread_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return validators == 0 ? 0 : static_cast<uint32_t>(h % validators);
}

partition_reader_actor::behavior_type
partition_reader(self_ptr self, partition_reader_config cfg,
                 std::shared_ptr<partition_reader_probe> probe) {
  auto& state = self->state;
  state.outstanding.resize(cfg.validator_names.size());
  state.stats.partition = cfg.partition;
  state.cfg = std::move(cfg);
  state.probe = std::move(probe);
  // Slots without a handle (a fresh reader, or a validator mid-restart) are
  // looked up at the validators' supervisor; requests wait for them.
  state.cfg.validators.resize(state.cfg.validator_names.size());
  for (uint32_t i = 0; i < state.cfg.validators.size(); ++i) {
    if (state.cfg.validators[i]) {
      self->monitor(state.cfg.validators[i]);
    } else {
      self->send(self, refresh_atom::value, i);
    }
  }
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    on_validator_crash(self, msg.reason);
    for (uint32_t i = 0; i < st.cfg.validators.size(); ++i) {
      if (st.cfg.validators[i] &&
          st.cfg.validators[i].address() == msg.source) {
        st.cfg.validators[i] = validator_actor{};
        self->delayed_send(self, st.cfg.refresh_delay, refresh_atom::value, i);
      }
    }
  });
  // Leaving (revocation, restart, shutdown): what is still in flight is
  // redelivered elsewhere, so this instance's share leaves the gauge. The
  // share lives outside the state, which is gone when this runs.
  state.debt = std::make_shared<partition_reader_state::metric_debt>();
  self->attach_functor(
    [probe = state.probe, debt = state.debt] { debt->settle(*probe, true); });
  return {
    [self](const record_batch& batch) { on_batch(self, batch); },
    [self](drain_atom, caf::timespan timeout) -> caf::result<int64_t> {
      auto& st = self->state;
      if (st.watermark.in_flight() == 0) {
        return st.watermark.commit_offset().value_or(-1);
      }
      st.drains.push_back(self->make_response_promise<int64_t>());
      self->delayed_send(self, timeout, drain_atom::value);
      return st.drains.back();
    },
    [self](stats_atom) {
      auto st = self->state.stats;
      st.in_flight = self->state.watermark.in_flight();
      st.commit_offset = self->state.watermark.commit_offset().value_or(-1);
      return st;
    },
    [self](refresh_atom, uint32_t idx) { refresh_validator(self, idx); },
    [self](flush_atom) {
      auto& st = self->state;
      st.flush_scheduled = false;
      send_dlq(self);
      st.debt->settle(*st.probe, false);
      auto commit = st.watermark.commit_offset().value_or(-1);
      if (commit == st.reported_commit &&
          st.stats.completed == st.reported_completed &&
          st.dlq_bytes == st.reported_dlq_bytes) {
        return;
      }
      st.reported_commit = commit;
      st.reported_completed = st.stats.completed;
      st.reported_dlq_bytes = st.dlq_bytes;
      if (st.cfg.progress_to) {
        // The consumer is an untyped (blocking) actor: anon_send.
        self->anon_send(st.cfg.progress_to, progress_atom::value,
                        partition_progress{st.cfg.partition, commit,
                                           st.stats.completed, st.dlq_bytes});
      }
    },
    [self](drain_atom) {
      if (!self->state.drains.empty()) {
        answer_drains(self);
      }
    },
    [self](dlq_retry_atom) {
      self->state.dlq_retry_scheduled = false;
      send_dlq(self);
    },
  };
}

} // namespace ds::actors

#include "actors/partition_reader.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "diag/errc.hpp"
#include "diag/fault_points.hpp"
#include "diag/log.hpp"

#include "actors/errc.hpp"
#include "dlq/record.hpp"
#include "proto/errc.hpp"
#include "proto/headers.hpp"

namespace ds::actors {

namespace {

using self_ptr =
  partition_reader_impl::stateful_pointer<partition_reader_state>;

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
  if (st.tracing) {
    st.tracing->completed(offset);
  }
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
  ++st.unreported.processed;
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
      const double secs = static_cast<double>(lat) / 1e6;
      p.e2e_latency.Observe(secs);
      if (st.tracing) {
        if (const auto* ctx = st.tracing->context_of(offset)) {
          p.e2e_exemplars->record(secs, trace::to_hex(ctx->trace),
                                  trace::to_hex(ctx->span));
        }
      }
    }
  }
}

// A record passed: every validator it went to has answered (or it needed
// none). Only now may the watermark move past it; it leaves through the
// output in offset order.
void pass(self_ptr self, const source_record& rec, int64_t header_ts_us,
          partition_reader_state::output_fields out, record_verdict verdict) {
  auto& st = self->state;
  account(self, rec.offset, header_ts_us, false);
  if (st.tracing) {
    st.tracing->passed(rec.offset, out.publish);
  }
  if (out.publish) {
    st.sequencer.passed({st.cfg.partition, rec.offset, std::move(out.tenant_id),
                         std::move(out.thread_id), rec.value, rec.owner,
                         verdict, false, out.quality});
  }
  complete(self, rec.offset);
}

// Validated records whose turn has come go out as one batch.
void publish(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.egress) {
    return;
  }
  auto ready = st.sequencer.take_ready();
  if (st.tracing) {
    for (const auto& r : ready) {
      st.tracing->fanned_out(r.offset);
    }
  }
  if (!ready.empty()) {
    auto b = std::make_shared<validated_batch>();
    b->partition = st.cfg.partition;
    b->records = std::move(ready);
    self->send(st.cfg.egress, validated_batch_ref{std::move(b)});
  }
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
  if (!st.outbox->has_unsent()) {
    return;
  }
  auto writer = st.cfg.dlq();
  if (!writer) { // restarting: ask again shortly
    retry_dlq_later(self);
    return;
  }
  auto [offsets, batch] = st.outbox->take();
  self->request(writer, caf::infinite, dlq_atom::value, std::move(batch))
    .then(
      [self, offsets = offsets](bool) {
        for (auto offset : self->state.outbox->delivered(offsets)) {
          if (self->state.tracing) {
            self->state.tracing->dlq_done(offset);
          }
          complete(self, offset);
        }
      },
      [self, offsets = offsets](caf::error&) {
        // The writer died with them: send them again to the next one.
        self->state.outbox->failed(offsets);
        retry_dlq_later(self);
      });
}

// A rejected record is done only once the DLQ holds it durably; it never
// leaves through the output.
void reject(self_ptr self, const source_record& rec,
            std::string_view error_type, std::string_view error,
            std::string_view stage, std::string_view exception_class) {
  auto& st = self->state;
  if (st.cfg.egress) {
    st.sequencer.dropped(rec.offset);
  }
  if (!st.cfg.dlq) {
    complete(self, rec.offset);
    return;
  }
  if (st.tracing) {
    st.tracing->dlq_started(rec.offset, error_type, stage);
  }
  st.outbox->add(rec, error_type, error, stage, exception_class);
  schedule_flush(self); // sends what on_batch itself does not (replies)
}

// One validator has answered for the record at `offset`.
void on_reply(self_ptr self, int64_t offset, uint32_t rejected_items,
              const record_verdict& verdict) {
  auto& st = self->state;
  auto it = st.pending.find(offset);
  if (it == st.pending.end()) {
    return; // answered twice (redelivery raced a late reply), or poison
  }
  auto& pr = it->second;
  pr.rejected += rejected_items;
  pr.verdict.merge(verdict);
  if (--pr.waiting == 0) {
    if (st.tracing) {
      st.tracing->validated(offset, pr.verdict);
    }
    auto ts = pr.header_ts_us;
    auto rec = std::move(pr.rec);
    bool rejected = pr.rejected > 0;
    if (!rejected) {
      auto out = std::move(pr.out);
      auto v = pr.verdict;
      st.pending.erase(it);
      pass(self, rec, ts, std::move(out), v);
      return;
    }
    st.pending.erase(it);
    // Policy halt: the thread is quarantined; the record goes to the DLQ.
    account(self, offset, ts, true);
    reject(self, rec, dlq::halted_thread_error,
           "thread halted by a sequence gap (validation.policy = halt); "
           "reset it with `dashstream thread reset`",
           "validate", "ds::actors::sequence_halted");
  }
}

// A batch is answered: every record in it has passed this validator in
// order, except the few listed (rejected items or another verdict), in
// offset order.
void on_batch_reply(self_ptr self, uint32_t idx,
                    const std::shared_ptr<const validation_batch>& b,
                    const std::vector<validation_reply>& notable) {
  self->state.router->answered(idx, b);
  auto r = notable.begin();
  b->for_each_record([&](int64_t offset, std::size_t, std::size_t) {
    if (r != notable.end() && r->offset == offset) {
      on_reply(self, offset, r->rejected, r->verdict);
      ++r;
    } else {
      on_reply(self, offset, 0, {});
    }
  });
  publish(self);
}

void send_batch(self_ptr self, uint32_t idx,
                const std::shared_ptr<const validation_batch>& b) {
  const auto& v = self->state.cfg.validators[idx];
  if (!v) {
    return; // restarting: the refresh resends everything outstanding
  }
  self->request(v, caf::infinite, validate_atom::value, validation_batch_ref{b})
    .then(
      [self, idx, b](std::vector<validation_reply>& notable) {
        on_batch_reply(self, idx, b, notable);
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

// Under kafka.on_decode_error = pause: from the undecodable record on,
// this partition is left alone until it is reassigned; the record itself
// goes to the DLQ as always.
void pause_at(self_ptr self, int64_t offset) {
  auto& st = self->state;
  st.paused_at = offset;
  st.probe->decode_error_pauses.Increment();
  diag::log_event(
    spdlog::level::err, "partition_reader",
    {{"component", "partition_reader"},
     {"event", "partition_paused"},
     {"partition", st.cfg.partition},
     {"offset", std::to_string(offset)},
     {"detail", "a record did not decode and kafka.on_decode_error "
                "= pause: the records behind it stay uncommitted "
                "until the partition is reassigned or the daemon "
                "restarts"}});
}

// The records of a redelivered batch that crashed this partition's reader
// poison_max_crashes times (usually none).
std::map<int64_t, reader_crash_ledger::entry>
poison_in(self_ptr self, const record_batch& batch) {
  std::map<int64_t, reader_crash_ledger::entry> out;
  const auto& cfg = self->state.cfg;
  if (!batch.redelivered || !cfg.crash_ledger || cfg.poison_max_crashes == 0) {
    return out;
  }
  std::lock_guard<std::mutex> guard{cfg.crash_ledger->mtx};
  for (const auto& [offset, e] : cfg.crash_ledger->by_offset) {
    if (e.crashes >= cfg.poison_max_crashes) {
      out.emplace(offset, e);
    }
  }
  return out;
}

// A record that crashed this partition's reader again and again: to the
// DLQ as poison, never processed again.
void quarantine(self_ptr self, const source_record& rec,
                const reader_crash_ledger::entry& e, bool redelivered) {
  auto& st = self->state;
  ++st.stats.received;
  st.watermark.track(rec.offset);
  if (st.publishing) {
    st.sequencer.track(rec.offset, redelivered);
  }
  diag::log_event(spdlog::level::err, "partition_reader",
                  {{"component", "partition_reader"},
                   {"event", "poison_record"},
                   {"partition", st.cfg.partition},
                   {"offset", std::to_string(rec.offset)},
                   {"crashes", e.crashes},
                   {"stage", "partition_reader"},
                   {"what", e.what}});
  account(self, rec.offset, 0, true);
  reject(self, rec, dlq::poison_error,
         "crashed its partition reader " + std::to_string(e.crashes) +
           " times: " + e.what,
         "poison", "ds::actors::errc::reader_crashed");
}

void on_batch(self_ptr self, const record_batch& batch) {
  auto& st = self->state;
  auto& p = *st.probe;
  const auto n = batch.records->size();
  p.in_flight.Increment(static_cast<double>(n));
  st.debt->in_flight += static_cast<int64_t>(n);
  decode_error_tally decode_errors{p};
  st.arena->Reset();
  st.scratch =
    google::protobuf::Arena::CreateMessage<proto::message>(st.arena.get());
  auto& router = *st.router;
  // One clock read per batch, and only when tracing: a traced record's
  // spans start when its batch reached the reader.
  const uint64_t batch_ns = st.tracing ? trace::now_unix_nano() : 0;
  st.publishing =
    st.cfg.egress &&
    (!st.cfg.egress_listeners ||
     st.cfg.egress_listeners->load(std::memory_order_relaxed) > 0);
  const auto* faults = diag::installed_fault_handlers();
  auto poison = poison_in(self, batch);
  for (const auto& rec : *batch.records) {
    st.current = rec.offset;
    if (st.paused_at) {
      // Left in flight on purpose: never completed, never committed.
      continue;
    }
    if (!poison.empty()) {
      if (auto it = poison.find(rec.offset); it != poison.end()) {
        quarantine(self, rec, it->second, batch.redelivered);
        continue;
      }
    }
    if (faults != nullptr && faults->reader_record != nullptr) {
      faults->reader_record(rec.key, rec.value);
    }
    ++st.stats.received;
    st.watermark.track(rec.offset);
    const bool traced = st.tracing && st.tracing->begin(rec, batch_ns);
    if (st.publishing) {
      st.sequencer.track(rec.offset, batch.redelivered);
    }
    auto info = proto::decode(rec.value, st.cfg.decode, *st.scratch);
    if (!info) {
      ++st.stats.decode_errors;
      ++st.unreported.decode_errors;
      auto code = proto::to_errc(info.error());
      decode_errors.add(code);
      if (traced) {
        st.tracing->decoded(rec.offset, nullptr,
                            proto::contract_error_type(code));
      }
      // "<reason>: <detail>": the envelope names the module in
      // exception_class already.
      reject(self, rec, proto::contract_error_type(code),
             std::string{proto::to_string(code)} + ": " +
               diag::error_detail(info.error()),
             "decode", exception_class_of(code));
      if (st.cfg.pause_on_decode_error) {
        pause_at(self, rec.offset);
      }
      continue;
    }
    if (traced) {
      st.tracing->decoded(rec.offset, st.scratch, {});
    }
    const auto* top = proto::top_header(*st.scratch);
    if (!st.cfg.tenant_filter.empty() &&
        (top == nullptr || top->tenant_id() != st.cfg.tenant_filter)) {
      p.filtered.Increment();
      if (st.publishing) {
        st.sequencer.dropped(rec.offset);
      }
      complete(self, rec.offset);
      continue;
    }
    router.begin_record();
    proto::for_each_header(*st.scratch, [&](const proto::header& h) {
      if (h.thread_id().empty() || h.sequence() == 0) {
        return; // unsequenced (§3): nothing to validate
      }
      router.route(rec.offset, h.thread_id(), h.sequence());
    });
    auto ts = top != nullptr ? top->timestamp_us() : 0;
    partition_reader_state::output_fields out;
    out.publish = st.publishing;
    if (st.publishing && top != nullptr) {
      out.tenant_id = top->tenant_id();
      out.thread_id = top->thread_id();
      out.quality =
        st.scratch->has_metrics() && st.scratch->metrics().scope() == "quality";
    }
    if (router.fanout() == 0) {
      pass(self, rec, ts, std::move(out), {});
      continue;
    }
    st.pending.emplace(rec.offset,
                       partition_reader_state::pending_record{
                         rec, ts, router.fanout(), 0, {}, std::move(out)});
  }
  st.current.reset();
  for (auto& [idx, b] : router.take()) {
    send_batch(self, idx, b);
  }
  // Now, not at the flush: the flush is a message queued behind every batch
  // already in the mailbox, and the DLQ records waited for all of them.
  send_dlq(self);
  publish(self);
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
        auto v = typed_handle<validator_actor>(handle);
        s.cfg.validators[idx] = v;
        self->monitor(v);
        uint64_t records = 0;
        const bool crashed = s.crashed[idx];
        s.crashed[idx] = false;
        auto again = s.router->redeliver(
          idx, [&](int64_t offset) { return s.pending.count(offset) > 0; },
          [&](int64_t offset) {
            ++records;
            if (crashed && s.cfg.egress) {
              s.sequencer.mark_redelivered(offset);
            }
          });
        for (auto& b : again) {
          send_batch(self, idx, b);
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
  st.pending.erase(it); // no more redeliveries: the router drops it
  diag::log_event(spdlog::level::err, "partition_reader",
                  {{"component", "partition_reader"},
                   {"event", "poison_record"},
                   {"partition", st.cfg.partition},
                   {"offset", std::to_string(offset)},
                   {"crashes", st.crashes[offset]},
                   {"what", ctx.get_as<std::string>(0)}});
  account(self, offset, ts, true);
  reject(self, rec, dlq::poison_error,
         "crashed its validator " + std::to_string(st.crashes[offset]) +
           " times: " + ctx.get_as<std::string>(0),
         "poison", "ds::actors::errc::validator_crashed");
  publish(self);
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

partition_reader_impl::behavior_type
partition_reader(self_ptr self, partition_reader_config cfg,
                 std::shared_ptr<partition_reader_probe> probe) {
  auto& state = self->state;
  state.router = std::make_unique<validator_router>(
    cfg.partition, static_cast<uint32_t>(cfg.validator_names.size()));
  state.crashed.resize(cfg.validator_names.size());
  state.outbox = std::make_unique<dlq_outbox>(dlq_outbox::origin{
    cfg.topic, cfg.group_id, cfg.partition, cfg.decode, cfg.dlq_format});
  state.stats.partition = cfg.partition;
  if (cfg.tracer) {
    state.tracing = std::make_unique<record_tracing>(
      cfg.tracer, record_tracing_origin{cfg.topic, cfg.group_id, cfg.dlq_topic,
                                        cfg.partition});
  }
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
  // A throw while processing a record is counted against that record in
  // the ledger the next instance reads (poison_in).
  self->set_exception_handler(
    [self](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
      auto what = what_of(eptr);
      auto& st = self->state;
      if (!st.current) {
        return make_error(errc::reader_crashed, what);
      }
      if (const auto& ledger = st.cfg.crash_ledger) {
        std::lock_guard<std::mutex> guard{ledger->mtx};
        auto& e = ledger->by_offset[*st.current];
        ++e.crashes;
        e.what = what;
      }
      return make_error(errc::reader_crashed,
                        caf::make_message(what, st.cfg.partition, *st.current));
    });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    on_validator_crash(self, msg.reason);
    for (uint32_t i = 0; i < st.cfg.validators.size(); ++i) {
      if (st.cfg.validators[i] &&
          st.cfg.validators[i].address() == msg.source) {
        st.cfg.validators[i] = validator_actor{};
        st.crashed[i] = true;
        self->delayed_send(self, st.cfg.refresh_delay, refresh_atom::value, i);
      }
    }
  });
  // Stopped with a drain unanswered (a one_for_all restart): the consumer
  // waiting for it hears the commit offset now, not after its own bound.
  self->set_exit_handler([self](caf::exit_msg& x) {
    answer_drains(self);
    self->quit(x.reason);
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
      if (st.cfg.health &&
          (st.unreported.processed > 0 || st.unreported.decode_errors > 0)) {
        self->send(st.cfg.health, st.unreported);
        st.unreported = {};
      }
      auto commit = st.watermark.commit_offset().value_or(-1);
      const auto dlq_bytes = st.outbox->held_bytes();
      if (commit == st.reported_commit &&
          st.stats.completed == st.reported_completed &&
          dlq_bytes == st.reported_dlq_bytes) {
        return;
      }
      st.reported_commit = commit;
      st.reported_completed = st.stats.completed;
      st.reported_dlq_bytes = dlq_bytes;
      if (st.cfg.progress_to) {
        // The consumer is an untyped (blocking) actor: anon_send.
        self->anon_send(st.cfg.progress_to, progress_atom::value,
                        partition_progress{st.cfg.partition, commit,
                                           st.stats.completed, dlq_bytes});
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

#include "actors/consumer.hpp"

#include <deque>
#include <map>
#include <thread>

#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "diag/log.hpp"

namespace ds::actors {

namespace {

/// What one held record costs besides its bytes: the deque slot, the
/// librdkafka message struct it keeps alive, the shared_ptr control block.
constexpr std::size_t record_overhead_bytes = 256;

std::size_t held_bytes(const source_record& r) {
  return r.value.size() + r.key.size() + record_overhead_bytes;
}

std::string reader_name(int32_t p) {
  return "partition-reader-" + std::to_string(p);
}

struct partition_entry {
  partition_reader_actor reader;
  /// Dispatched and not yet covered by the commit offset, in offset order:
  /// what a restarted reader gets again, and the in-flight budget's count.
  std::deque<source_record> unfinished;
  /// held_bytes() of `unfinished`.
  std::size_t unfinished_bytes = 0;
  /// What the reader last reported holding for the DLQ (partition_progress).
  std::size_t dlq_bytes = 0;
  int64_t commit = -1;
  bool paused = false;
};

class consumer_loop {
public:
  consumer_loop(caf::blocking_actor* self, consumer_config cfg,
                std::shared_ptr<consumer_deps> deps)
    : self_(self), cfg_(cfg), deps_(std::move(deps)) {}

  void run() {
    auto revoke = [this](std::span<const int32_t> ps, bool lost) {
      on_revoke(ps, lost);
    };
    auto next_lag = std::chrono::steady_clock::now();
    while (running_) {
      serve_mailbox();
      if (!running_) {
        break;
      }
      if (window_full() || breaker_open()) {
        continue;
      }
      auto timeout =
        in_flight() > 0 ? std::chrono::milliseconds(5) : cfg_.poll_timeout;
      auto res = deps_->source->poll(cfg_.max_batch, timeout, revoke);
      on_poll(res);
      if (auto now = std::chrono::steady_clock::now(); now >= next_lag) {
        update_lag();
        next_lag = now + cfg_.lag_interval;
      }
    }
    // Leaving: the source revokes everything through the callback, which
    // drains the readers and stores their final offsets; then commit.
    if (auto err = deps_->source->close(revoke)) {
      diag::log_event(
        spdlog::level::err, "consumer",
        {{"event", "close_failed"}, {"error", self_->system().render(err)}});
    }
    diag::log_event(spdlog::level::info, "consumer", {{"event", "stopped"}});
  }

private:
  // True while the circuit breaker is open: no poll until its hold-down
  // ends (then half_open lets polls through as probes).
  bool breaker_open() {
    const bool open =
      deps_->gate && deps_->gate->breaker() == breaker_state::open;
    if (open != gated_) {
      gated_ = open;
      diag::log_event(open ? spdlog::level::warn : spdlog::level::info,
                      "consumer",
                      {{"event", open ? "polling_paused" : "polling_resumed"},
                       {"reason", "circuit breaker"}});
    }
    if (open) {
      std::this_thread::sleep_for(
        std::min(cfg_.poll_timeout, std::chrono::milliseconds(100)));
    }
    return open;
  }

  // Every poll with infrastructure errors reaches the health actor; others
  // only with news or every health_report_interval.
  void report_health(const record_source::poll_result& res) {
    if (!deps_->health) {
      return;
    }
    poll_outcome x{static_cast<uint32_t>(res.infra_errors.size()),
                   res.broker_reachable, static_cast<uint32_t>(parts_.size())};
    auto now = std::chrono::steady_clock::now();
    bool news = x.infra_errors > 0 || last_report_.infra_errors > 0 ||
                x.broker_reachable != last_report_.broker_reachable ||
                x.assigned_partitions != last_report_.assigned_partitions;
    if (news || now >= next_report_) {
      caf::anon_send(deps_->health, x);
      last_report_ = x;
      next_report_ = now + cfg_.health_report_interval;
    }
  }

  // True while the dispatch window is full and no poll is due: waits
  // (briefly) for a reader's progress instead. Other messages stay queued
  // for serve_mailbox.
  bool window_full() {
    auto now = std::chrono::steady_clock::now();
    if (cfg_.dispatch_window_bytes == 0 ||
        held_total() < cfg_.dispatch_window_bytes || now >= next_window_poll_) {
      next_window_poll_ = now + cfg_.window_poll_interval;
      return false;
    }
    self_->receive(
      [&](progress_atom, const partition_progress& x) { on_progress(x); },
      caf::after(std::chrono::milliseconds(1)) >> [] {});
    deps_->probe->window_wait_seconds.Increment(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - now)
        .count());
    return true;
  }

  uint64_t in_flight() const {
    uint64_t n = 0;
    for (const auto& [p, e] : parts_) {
      n += e.unfinished.size();
    }
    return n;
  }

  void serve_mailbox() {
    for (bool more = true; more;) {
      more = false;
      self_->receive(
        [&](progress_atom, const partition_progress& x) {
          on_progress(x);
          more = true;
        },
        [&](reader_up_atom, int32_t p, const partition_reader_actor& h) {
          on_reader_up(p, h);
          more = true;
        },
        [&](stats_atom) {
          more = true;
          return stats();
        },
        [&](stop_atom) { running_ = false; },
        // Stopped by our supervisor (a one_for_all restart, shutdown):
        // leave the group cleanly, like a stop request.
        [&](caf::exit_msg& x) {
          running_ = false;
          diag::log_event(spdlog::level::info, "consumer",
                          {{"event", "exit_requested"},
                           {"reason", self_->system().render(x.reason)}});
        },
        caf::after(std::chrono::seconds(0)) >> [] {});
    }
  }

  consumer_stats stats() const {
    auto s = stats_;
    s.in_flight = in_flight();
    for (const auto& [p, e] : parts_) {
      s.assigned.push_back(p);
      if (e.paused) {
        s.paused.push_back(p);
      }
    }
    return s;
  }

  void on_poll(record_source::poll_result& res) {
    auto& probe = *deps_->probe;
    if (!res.infra_errors.empty()) {
      stats_.infra_errors += res.infra_errors.size();
      probe.infra_errors.Increment(
        static_cast<double>(res.infra_errors.size()));
    }
    for (auto p : res.assigned) {
      on_assigned(p);
    }
    report_health(res);
    if (res.records.empty()) {
      return;
    }
    stats_.polled += res.records.size();
    // Group consecutive records per partition, preserving offset order.
    std::map<int32_t, std::vector<source_record>> by_partition;
    for (auto& r : res.records) {
      by_partition[r.partition].push_back(std::move(r));
    }
    for (auto& [p, recs] : by_partition) {
      auto it = parts_.find(p);
      if (it == parts_.end()) {
        continue; // revoked in the same poll: another member reads it
      }
      auto& e = it->second;
      for (const auto& r : recs) {
        e.unfinished.push_back(r);
        e.unfinished_bytes += held_bytes(r);
        held_bytes_ += held_bytes(r);
      }
      stats_.dispatched += recs.size();
      dispatch(p, e, std::move(recs));
      probe.in_flight_bytes.Set(static_cast<double>(held_total()));
      bool over_bytes =
        cfg_.inflight_bytes_max > 0 && held_total() >= cfg_.inflight_bytes_max;
      if (!e.paused &&
          (e.unfinished.size() >= cfg_.inflight_max || over_bytes)) {
        int32_t ids[] = {p};
        if (!deps_->source->pause(ids)) {
          e.paused = true;
          ++stats_.pauses;
          probe.pauses.Increment();
        }
      }
    }
  }

  void dispatch(int32_t p, partition_entry& e, std::vector<source_record> recs,
                bool redelivered = false) {
    if (!e.reader || recs.empty()) {
      return; // restarting: the new instance gets e.unfinished
    }
    auto batch = record_batch{
      p, std::make_shared<const std::vector<source_record>>(std::move(recs)),
      redelivered};
    self_->send(e.reader, std::move(batch));
  }

  void on_assigned(int32_t p) {
    deps_->probe->rebalances.Increment();
    // Before its first fetch librdkafka knows no watermark for a new
    // partition; without asking, every record of a backlog would count as
    // live (and its age as end-to-end latency).
    auto [low, high] =
      deps_->source->current_watermarks(p, cfg_.watermark_timeout);
    (void)low;
    if (high < 0) {
      diag::log_event(spdlog::level::warn, "consumer",
                      {{"event", "watermark_unknown"},
                       {"partition", p},
                       {"detail", "no high watermark within "
                                  "kafka.watermark_timeout_ms: every record of "
                                  "this assignment counts as live"}});
    }
    auto& e = parts_[p];
    consumer_handle self_handle{self_};
    auto deps = deps_;
    auto live_from = high < 0 ? 0 : high; // session-start high watermark
    // Outlives the reader's restarts: a record that keeps crashing it ends
    // up in the DLQ as poison.
    auto ledger = std::make_shared<reader_crash_ledger>();
    auto spec = typed_child<partition_reader_actor>(
      reader_name(p), "partition_reader",
      [deps, p, self_handle, live_from, ledger](caf::actor_system& sys) {
        auto rc = deps->reader_config(p);
        rc.partition = p;
        rc.live_from_offset = live_from;
        rc.progress_to = self_handle;
        rc.crash_ledger = ledger;
        return sys.spawn(partition_reader, std::move(rc), deps->reader_probe);
      },
      restart_policy::permanent,
      [self_handle, p](const partition_reader_actor& h) {
        caf::anon_send(self_handle, reader_up_atom::value, p, h);
      });
    self_->request(deps_->readers, reply_bound(), add_atom::value, spec)
      .receive(
        [&](caf::actor& h) {
          e.reader = typed_handle<partition_reader_actor>(h);
        },
        [&](caf::error& err) {
          diag::log_event(spdlog::level::err, "consumer",
                          {{"event", "reader_start_failed"},
                           {"partition", p},
                           {"error", self_->system().render(err)}});
        });
    deps_->probe->add_partition(p);
    deps_->probe->assigned.Set(static_cast<double>(parts_.size()));
    diag::log_event(spdlog::level::info, "consumer",
                    {{"event", "partition_assigned"},
                     {"partition", p},
                     {"live_from_offset", std::to_string(live_from)}});
  }

  // How long a blocking request to a reader or the readers' supervisor may
  // wait beyond the work it asks for. Unbounded, it hung the consumer (and
  // the daemon's shutdown) for good when a one_for_all restart killed a
  // reader holding an unanswered drain: CAF 0.17 drops the promise of an
  // actor that exits without telling the requester.
  static constexpr caf::timespan reply_bound() {
    return std::chrono::seconds(5);
  }

  void on_revoke(std::span<const int32_t> ps, bool lost) {
    deps_->probe->rebalances.Increment();
    for (auto p : ps) {
      auto it = parts_.find(p);
      if (it == parts_.end()) {
        continue;
      }
      auto& e = it->second;
      if (e.reader) {
        self_
          ->request(e.reader, cfg_.drain_timeout + reply_bound(),
                    drain_atom::value, cfg_.drain_timeout)
          .receive(
            [&](int64_t commit) {
              if (commit > e.commit) {
                e.commit = commit;
              }
            },
            [&](caf::error&) {});
      }
      if (!lost && e.commit >= 0) {
        deps_->source->store_offset(p, e.commit);
      }
      self_
        ->request(deps_->readers, reply_bound(), remove_atom::value,
                  reader_name(p))
        .receive([](bool) {}, [](caf::error&) {});
      diag::log_event(spdlog::level::info, "consumer",
                      {{"event", "partition_revoked"},
                       {"partition", p},
                       {"lost", lost},
                       {"commit_offset", std::to_string(e.commit)},
                       {"unfinished", e.unfinished.size()}});
      deps_->probe->remove_partition(p);
      held_bytes_ -= e.unfinished_bytes;
      dlq_bytes_ -= e.dlq_bytes;
      parts_.erase(it);
    }
    deps_->probe->assigned.Set(static_cast<double>(parts_.size()));
  }

  void on_progress(const partition_progress& x) {
    auto it = parts_.find(x.partition);
    if (it == parts_.end()) {
      return; // revoked meanwhile
    }
    auto& e = it->second;
    dlq_bytes_ += x.dlq_bytes;
    dlq_bytes_ -= e.dlq_bytes;
    e.dlq_bytes = x.dlq_bytes;
    // No new offset (or a stale report from an old reader) may still come
    // with a smaller DLQ share.
    if (x.commit_offset > e.commit) {
      e.commit = x.commit_offset;
      while (!e.unfinished.empty() && e.unfinished.front().offset < e.commit) {
        release(e, e.unfinished.front());
        e.unfinished.pop_front();
      }
      deps_->source->store_offset(x.partition, e.commit);
    }
    deps_->probe->in_flight_bytes.Set(static_cast<double>(held_total()));
    // Any partition may be waiting on the byte budget, not only this one.
    for (auto& [p, pe] : parts_) {
      maybe_resume(p, pe);
    }
  }

  void release(partition_entry& e, const source_record& r) {
    auto n = held_bytes(r);
    e.unfinished_bytes -= n;
    held_bytes_ -= n;
  }

  void maybe_resume(int32_t p, partition_entry& e) {
    if (!e.paused || e.unfinished.size() > cfg_.inflight_low ||
        (cfg_.inflight_bytes_max > 0 &&
         held_total() > cfg_.inflight_bytes_low)) {
      return;
    }
    int32_t ids[] = {p};
    if (!deps_->source->resume(ids)) {
      e.paused = false;
      ++stats_.resumes;
      deps_->probe->resumes.Increment();
    }
  }

  void on_reader_up(int32_t p, const partition_reader_actor& h) {
    auto it = parts_.find(p);
    if (it == parts_.end() || it->second.reader == h) {
      return; // the first start (already known) or a revoked partition
    }
    auto& e = it->second;
    e.reader = h;
    stats_.redelivered += e.unfinished.size();
    diag::log_event(spdlog::level::warn, "consumer",
                    {{"event", "reader_restarted"},
                     {"partition", p},
                     {"redelivered", e.unfinished.size()}});
    std::vector<source_record> again(e.unfinished.begin(), e.unfinished.end());
    dispatch(p, e, std::move(again), true);
  }

  void update_lag() {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    for (const auto& [p, e] : parts_) {
      auto sit = deps_->probe->partitions.find(p);
      if (sit == deps_->probe->partitions.end()) {
        continue;
      }
      auto [low, high] = deps_->source->watermarks(p);
      (void)low;
      int64_t next = e.commit >= 0           ? e.commit
                     : !e.unfinished.empty() ? e.unfinished.front().offset
                                             : high;
      auto lag = high >= 0 && next >= 0 && high > next ? high - next : 0;
      sit->second.lag_messages->Set(static_cast<double>(lag));
      double age = 0;
      if (!e.unfinished.empty() && e.unfinished.front().timestamp_ms > 0) {
        age = static_cast<double>(now_ms - e.unfinished.front().timestamp_ms) /
              1000.0;
      }
      sit->second.lag_seconds->Set(age < 0 ? 0 : age);
    }
  }

  caf::blocking_actor* self_;
  consumer_config cfg_;
  std::shared_ptr<consumer_deps> deps_;
  std::map<int32_t, partition_entry> parts_;
  /// Sum of every partition's unfinished_bytes: the memory budget's gauge.
  std::size_t held_bytes_ = 0;
  /// Sum of the partitions' dlq_bytes.
  std::size_t dlq_bytes_ = 0;

  /// What the byte budget bounds: records from poll to commit, and what
  /// the readers hold of rejected ones for the DLQ (an all-bad burst holds
  /// an envelope per record besides the record).
  std::size_t held_total() const { return held_bytes_ + dlq_bytes_; }
  consumer_stats stats_;
  bool running_ = true;
  /// When a poll is due although the dispatch window is full.
  std::chrono::steady_clock::time_point next_window_poll_{};
  bool gated_ = false;
  poll_outcome last_report_;
  std::chrono::steady_clock::time_point next_report_{};
};

} // namespace

void consumer(caf::blocking_actor* self, consumer_config cfg,
              std::shared_ptr<consumer_deps> deps) {
  consumer_loop{self, cfg, std::move(deps)}.run();
}

} // namespace ds::actors

#include "runtime/dlq_store/sink.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include "diag/errc.hpp"
#include "diag/log.hpp"
#include "dlq/envelope.hpp"
#include "runtime/dlq_store/errc.hpp"
#include "runtime/dlq_store/sink_probe.hpp"
#include "runtime/kafka/producer_client.hpp"
#include "runtime/spool/errc.hpp"
#include "runtime/spool/spool.hpp"

namespace ds::dlq_store {

using dlq::dlq_record;
using dlq::record_format;
using dlq::submission;

namespace {

using clock_type = std::chrono::steady_clock;

int64_t unix_ms_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

struct pending {
  std::shared_ptr<const dlq_record> rec;
  std::shared_ptr<dlq::listener> to;
  std::size_t index = 0;

  void done(caf::error err) const { to->done(index, std::move(err)); }
};

// The single-record submit()'s callback as a listener.
class function_listener final : public dlq::listener {
public:
  explicit function_listener(sink::done_fn fn) : fn_{std::move(fn)} {}
  void done(std::size_t, caf::error err) override { fn_(std::move(err)); }

private:
  sink::done_fn fn_;
};

// The record's headers as the producer takes them, in `out` (reused).
std::span<const kafka::header_view>
kafka_headers(const dlq_record& rec, std::vector<kafka::header_view>& out) {
  out.clear();
  for (const auto& h : rec.headers()) {
    out.push_back({h.name, h.value});
  }
  return out;
}

// Metric label and /health text of a spool failure.
std::pair<std::string, std::string> spool_failure(const caf::error& err) {
  switch (spool::to_errc(err)) {
    case spool::errc::full:
      return {"spool_full", "spool budget reached"};
    case spool::errc::disk_full:
      return {"disk_full", "disk full"};
    case spool::errc::fsync_failed:
      return {"fsync_failed", "fsync failed"};
    default:
      return {"io_error", "spool I/O error"};
  }
}

// Free bytes of the filesystem of `dir`, reserved blocks included (the
// daemon may run as root); 0 when it cannot be asked. Only compared with
// itself: did space come back since an append failed?
uint64_t disk_free_bytes(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) {
    return 0;
  }
  return static_cast<uint64_t>(vfs.f_bfree) * vfs.f_frsize;
}

} // namespace

/// Two threads: the Kafka thread routes submissions (Kafka while it keeps
/// up, else the spool), serves delivery reports and drains the spool; the
/// spool thread group-commits whatever is queued for disk. All state below
/// the mutex is shared; the rest belongs to the Kafka thread.
struct sink::impl {
  config::dlq_settings settings;
  record_format format;
  sink_probe probe;
  std::unique_ptr<spool::spool> sp;
  std::unique_ptr<kafka::producer_client> producer;

  mutable std::mutex mu;
  std::condition_variable kafka_cv;
  std::condition_variable spool_cv;
  std::deque<pending> incoming;
  std::deque<pending> to_spool;
  bool stopping = false;
  bool kafka_done = false;
  bool stopped = false;
  std::string reason;
  uint64_t free_at_failure = 0;
  /// Free space of the spool's filesystem when an append hit "disk full".
  uint64_t disk_free_at_failure = 0;

  // -- Kafka thread only ----------------------------------------------------
  struct flight {
    pending p;
    bool drain = false;
    size_t drain_index = 0;
  };
  enum class drain_state { unsent, sent, delivered };
  struct drain_item {
    dlq_record rec;
    drain_state state = drain_state::unsent;
  };
  std::unordered_map<uintptr_t, flight> inflight;
  uintptr_t next_token = 1;
  std::vector<kafka::header_view> header_scratch;
  bool kafka_ok = true;
  std::vector<drain_item> drain_batch;
  uint64_t drain_end = 0;
  clock_type::time_point next_drain{};
  clock_type::time_point next_gauges{};
  std::atomic<bool> closed{false};

  std::thread kafka_thread;
  std::thread spool_thread;

  impl(const config::daemon_config& cfg, prometheus::Registry& reg)
    : settings(cfg.dlq), format(record_format_of(cfg)), probe(reg) {}

  std::chrono::milliseconds drain_interval() const {
    return std::chrono::milliseconds{settings.drain_interval_ms};
  }

  void refresh_gauges() {
    auto st = sp->status();
    probe.spooled_records.Set(static_cast<double>(st.records));
    probe.spooled_bytes.Set(static_cast<double>(st.bytes));
    probe.oldest_age_seconds.Set(
      st.oldest_append_ms
        ? std::max<double>(
            0, static_cast<double>(unix_ms_now() - *st.oldest_append_ms) / 1e3)
        : 0.0);
  }

  void spool_later(pending p) {
    {
      std::lock_guard guard{mu};
      to_spool.push_back(std::move(p));
    }
    spool_cv.notify_one();
  }

  // Kafka while it keeps up; the overflow goes to `spill`, handed to the
  // spool thread in one go by the caller.
  void route(pending p, std::vector<pending>& spill) {
    if (!kafka_ok || inflight.size() >= settings.max_inflight) {
      spill.push_back(std::move(p));
      return;
    }
    auto token = next_token++;
    auto err = producer->produce(format.topic, p.rec->key(), p.rec->value(),
                                 kafka_headers(*p.rec, header_scratch), token);
    if (err) {
      probe.write_failed("produce_failed");
      kafka_ok = false;
      spill.push_back(std::move(p));
      return;
    }
    inflight.emplace(token, flight{std::move(p), false, 0});
  }

  void on_delivery(const kafka::delivery_report& rep) {
    if (closed.load()) {
      return; // stop() already spooled whatever was still in flight
    }
    auto it = inflight.find(rep.token);
    if (it == inflight.end()) {
      return;
    }
    auto f = std::move(it->second);
    inflight.erase(it);
    if (rep.error) {
      probe.write_failed("delivery_failed");
      if (kafka_ok) {
        diag::log_event(spdlog::level::warn, "dlq_sink",
                        {{"event", "dlq_kafka_unavailable"},
                         {"topic", format.topic},
                         {"error", diag::describe(rep.error)}});
      }
      kafka_ok = false;
    } else {
      kafka_ok = true;
    }
    if (f.drain) {
      auto& item = drain_batch[f.drain_index];
      if (rep.error) {
        item.state = drain_state::unsent;
      } else {
        item.state = drain_state::delivered;
        probe.drained.Increment();
        next_drain = clock_type::now(); // send the rest right away
      }
      finish_drain_batch_if_done();
      return;
    }
    if (rep.error) {
      spool_later(std::move(f.p));
      return;
    }
    probe.record_stored(f.p.rec->error_type());
    f.p.done(caf::error{});
  }

  void finish_drain_batch_if_done() {
    for (const auto& item : drain_batch) {
      if (item.state != drain_state::delivered) {
        return;
      }
    }
    if (auto err = sp->ack(drain_end)) {
      diag::log_event(
        spdlog::level::err, "dlq_sink",
        {{"event", "dlq_spool_ack_failed"}, {"error", diag::describe(err)}});
    }
    drain_batch.clear();
    refresh_gauges();
  }

  void drain_step(bool stopping_now) {
    auto now = clock_type::now();
    if (now < next_drain || stopping_now) {
      return;
    }
    next_drain = now + drain_interval();
    if (drain_batch.empty()) {
      auto first = sp->first_unacked();
      if (first >= sp->next_seq()) {
        kafka_ok = true; // nothing to probe with: let the next record try
        return;
      }
      auto room = settings.max_inflight > inflight.size()
                    ? settings.max_inflight - inflight.size()
                    : 0;
      if (room == 0) {
        return;
      }
      auto recs = sp->read(first, room, 8ull << 20);
      if (!recs) {
        diag::log_event(spdlog::level::err, "dlq_sink",
                        {{"event", "dlq_spool_read_failed"},
                         {"error", diag::describe(recs.error())}});
        return;
      }
      if (recs->empty()) {
        return;
      }
      for (auto& r : *recs) {
        auto rec = dlq_record::decode(std::move(r.data));
        drain_item item;
        if (rec) {
          item.rec = std::move(*rec);
        } else {
          // Cannot happen unless the format changed under us; do not let
          // one record block the drain forever.
          diag::log_event(spdlog::level::err, "dlq_sink",
                          {{"event", "dlq_spool_bad_record"},
                           {"seq", r.seq},
                           {"error", diag::describe(rec.error())}});
          item.state = drain_state::delivered;
        }
        drain_batch.push_back(std::move(item));
      }
      drain_end = recs->back().seq + 1;
    }
    for (size_t i = 0; i < drain_batch.size(); ++i) {
      auto& item = drain_batch[i];
      if (item.state != drain_state::unsent) {
        continue;
      }
      if (inflight.size() >= settings.max_inflight) {
        break;
      }
      auto token = next_token++;
      auto err =
        producer->produce(item.rec.topic(), item.rec.key(), item.rec.value(),
                          kafka_headers(item.rec, header_scratch), token);
      if (err) {
        probe.write_failed("produce_failed");
        kafka_ok = false;
        break;
      }
      item.state = drain_state::sent;
      inflight.emplace(token, flight{pending{}, true, i});
    }
    finish_drain_batch_if_done();
  }

  void kafka_loop() {
    for (;;) {
      std::deque<pending> batch;
      bool stop_now = false;
      {
        std::unique_lock lk{mu};
        auto wait = inflight.empty() ? std::chrono::milliseconds{20}
                                     : std::chrono::milliseconds{0};
        kafka_cv.wait_for(lk, wait,
                          [&] { return !incoming.empty() || stopping; });
        batch.swap(incoming);
        stop_now = stopping;
      }
      std::vector<pending> spill;
      for (auto& p : batch) {
        route(std::move(p), spill);
      }
      if (!spill.empty()) {
        {
          std::lock_guard guard{mu};
          for (auto& p : spill) {
            to_spool.push_back(std::move(p));
          }
        }
        spool_cv.notify_one();
      }
      producer->poll(std::chrono::milliseconds{inflight.empty() ? 0 : 1});
      drain_step(stop_now);
      if (auto now = clock_type::now(); now >= next_gauges) {
        refresh_gauges();
        next_gauges = now + std::chrono::milliseconds{250};
      }
      if (stop_now) {
        break;
      }
    }
    // Bounded shutdown: what Kafka acknowledges within the send timeout is
    // done; failures are spooled by on_delivery; what is still in flight
    // after that is spooled too (a late delivery makes a duplicate).
    producer->flush(std::chrono::seconds{settings.send_timeout_secs});
    closed = true;
    for (auto& [token, f] : inflight) {
      if (!f.drain) {
        spool_later(std::move(f.p));
      }
    }
    inflight.clear();
    {
      std::lock_guard guard{mu};
      kafka_done = true;
    }
    spool_cv.notify_one();
  }

  void spool_loop() {
    for (;;) {
      std::vector<pending> batch;
      {
        std::unique_lock lk{mu};
        spool_cv.wait(lk, [&] { return !to_spool.empty() || kafka_done; });
        if (to_spool.empty()) {
          return; // kafka_done: nothing can arrive any more
        }
        while (!to_spool.empty() && batch.size() < settings.spool_fsync_batch) {
          batch.push_back(std::move(to_spool.front()));
          to_spool.pop_front();
        }
      }
      // Group commit: everything queued while the previous fsync ran shares
      // the next one. Take only what fits the budget; the rest waits its
      // turn (and fails with "full" if it still does not fit). Direct I/O
      // pads every append to a block boundary: room is kept for that.
      auto free = sp->free_bytes();
      auto pad = sp->direct_io() ? spool::max_append_padding : 0;
      free = free > pad ? free - pad : 0;
      std::vector<std::string_view> views;
      views.reserve(batch.size());
      uint64_t used = 0;
      size_t fit = 0;
      for (; fit < batch.size(); ++fit) {
        // A record's spooled form is its bytes (envelope.hpp).
        const auto& bytes = batch[fit].rec->bytes();
        auto need = spool::framed_size(bytes.size());
        if (fit > 0 && used + need > free) {
          break;
        }
        used += need;
        views.emplace_back(bytes);
      }
      if (fit < batch.size()) {
        std::lock_guard guard{mu};
        for (auto i = batch.size(); i > fit; --i) {
          to_spool.push_front(std::move(batch[i - 1]));
        }
        batch.resize(fit);
      }
      auto res = sp->append(views);
      if (res) {
        {
          std::lock_guard guard{mu};
          reason.clear();
        }
        // One counter update per error type, not per record: each takes
        // the probe's lock and looks the series up. The types are few.
        std::vector<std::pair<std::string_view, uint64_t>> tally;
        for (const auto& p : batch) {
          auto type = p.rec->error_type();
          auto it =
            std::find_if(tally.begin(), tally.end(),
                         [&](const auto& t) { return t.first == type; });
          if (it == tally.end()) {
            tally.emplace_back(type, 1);
          } else {
            ++it->second;
          }
        }
        for (const auto& [type, n] : tally) {
          probe.record_stored(type, n);
        }
        for (auto& p : batch) {
          p.done(caf::error{});
        }
      } else {
        auto [label, text] = spool_failure(res.error());
        {
          std::lock_guard guard{mu};
          if (reason != text) {
            diag::log_event(spdlog::level::err, "dlq_sink",
                            {{"event", "dlq_spool_write_failed"},
                             {"reason", text},
                             {"error", diag::describe(res.error())}});
          }
          reason = text;
          free_at_failure = sp->free_bytes();
          disk_free_at_failure = disk_free_bytes(settings.spool_dir);
        }
        for (auto& p : batch) {
          probe.write_failed(label);
          p.done(res.error());
        }
      }
      refresh_gauges();
    }
  }
};

record_format record_format_of(const config::daemon_config& cfg) {
  return {config::effective_dlq_topic(cfg),
          {cfg.dlq.include_payload, cfg.dlq.payload_truncate_bytes}};
}

sink::sink(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {}

sink::~sink() {
  stop();
}

caf::expected<std::unique_ptr<sink>>
sink::open(const config::daemon_config& cfg, const kafka::client_config& kafka,
           prometheus::Registry& reg) {
  auto state = std::make_unique<impl>(cfg, reg);
  spool::spool_config sc;
  sc.dir = cfg.dlq.spool_dir;
  sc.segment_bytes = cfg.dlq.spool_segment_bytes;
  sc.budget_bytes = cfg.dlq.spool_budget_bytes;
  sc.direct_io = cfg.dlq.spool_direct_io;
  auto sp = spool::spool::open(sc);
  if (!sp) {
    return sp.error();
  }
  state->sp = std::move(*sp);
  const auto& rep = state->sp->recovery();
  state->probe.recovered_truncations.Increment(
    static_cast<double>(rep.truncations));
  state->probe.recovered_truncated_bytes.Increment(
    static_cast<double>(rep.truncated_bytes));
  state->probe.recovered_records.Increment(static_cast<double>(rep.records));
  for (const auto& note : rep.notes) {
    diag::log_event(spdlog::level::warn, "dlq_sink",
                    {{"event", "dlq_spool_truncated"}, {"detail", note}});
  }
  if (cfg.dlq.spool_direct_io && !state->sp->direct_io()) {
    diag::log_event(
      spdlog::level::info, "dlq_sink",
      {{"event", "dlq_spool_buffered"},
       {"dir", cfg.dlq.spool_dir},
       {"detail", "the filesystem refuses O_DIRECT; the spool uses "
                  "buffered writes"}});
  }
  if (rep.records > 0) {
    diag::log_event(spdlog::level::info, "dlq_sink",
                    {{"event", "dlq_spool_recovered"},
                     {"records", rep.records},
                     {"segments", rep.segments}});
  }
  kafka::producer_settings ps;
  ps.client = kafka;
  ps.message_timeout_ms = static_cast<int>(cfg.dlq.send_timeout_secs * 1000);
  ps.queue_full_wait = std::chrono::milliseconds{0};
  ps.topics = {state->format.topic};
  auto* raw = state.get();
  auto producer = kafka::producer_client::make(
    ps, [raw](const kafka::delivery_report& r) { raw->on_delivery(r); });
  if (!producer) {
    return producer.error();
  }
  state->producer = std::move(*producer);
  state->refresh_gauges();
  state->kafka_thread = std::thread{[raw] { raw->kafka_loop(); }};
  state->spool_thread = std::thread{[raw] { raw->spool_loop(); }};
  return std::unique_ptr<sink>{new sink(std::move(state))};
}

void sink::submit(const rejected_record& r, done_fn done) {
  submission one{std::make_shared<const dlq_record>(impl_->format.make(
                   r, dlq::rfc3339(std::chrono::system_clock::now()))),
                 std::make_shared<function_listener>(std::move(done)), 0};
  submit(std::span<submission>{&one, 1});
}

void sink::submit(std::span<submission> batch) {
  std::vector<pending> ready;
  ready.reserve(batch.size());
  for (auto& s : batch) {
    ready.push_back(pending{std::move(s.record), std::move(s.to), s.index});
  }
  {
    std::lock_guard guard{impl_->mu};
    if (!impl_->stopping) {
      for (auto& p : ready) {
        impl_->incoming.push_back(std::move(p));
      }
      impl_->kafka_cv.notify_one();
      return;
    }
  }
  for (auto& p : ready) {
    p.done(make_error(errc::stopped, "the DLQ sink is stopped"));
  }
}

sink_status sink::status() const {
  auto st = impl_->sp->status();
  sink_status out;
  out.spooled_records = st.records;
  out.spooled_bytes = st.bytes;
  out.oldest_age_seconds =
    st.oldest_append_ms
      ? std::max<double>(
          0, static_cast<double>(unix_ms_now() - *st.oldest_append_ms) / 1e3)
      : 0.0;
  auto free = impl_->sp->free_bytes();
  std::lock_guard guard{impl_->mu};
  if (impl_->reason == "spool budget reached" &&
      free > impl_->free_at_failure) {
    impl_->reason.clear(); // drained records made room again
  }
  // Disk full clears the same way: once the filesystem has more room than
  // when the append failed (files deleted, volume grown), accept again so
  // the writer retries; without this nothing is ever submitted again and
  // "disk full" stays for good.
  if (impl_->reason == "disk full" &&
      disk_free_bytes(impl_->settings.spool_dir) >
        impl_->disk_free_at_failure) {
    impl_->reason.clear();
  }
  out.reason = impl_->reason;
  out.accepting = out.reason.empty();
  return out;
}

void sink::stop() {
  if (!impl_) {
    return;
  }
  {
    std::lock_guard guard{impl_->mu};
    if (impl_->stopped) {
      return;
    }
    impl_->stopped = true;
    impl_->stopping = true;
  }
  impl_->kafka_cv.notify_all();
  if (impl_->kafka_thread.joinable()) {
    impl_->kafka_thread.join();
  }
  if (impl_->spool_thread.joinable()) {
    impl_->spool_thread.join();
  }
  impl_->closed = true;
  impl_->producer.reset();
  impl_->refresh_gauges();
}

} // namespace ds::dlq_store

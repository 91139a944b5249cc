#include "tools/bench/raw_floor.hpp"

#include <sys/resource.h>

#include "runtime/kafka/group_consumer.hpp"
#include "tools/bench/errc.hpp"

namespace ds::bench {

namespace {

double process_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// Reads every byte, so the payload really comes through the cache as a
// decoder would make it; the sum keeps the compiler from dropping it.
uint64_t touch(std::string_view bytes) noexcept {
  uint64_t sum = 0;
  for (auto c : bytes) {
    sum += static_cast<unsigned char>(c);
  }
  return sum;
}

} // namespace

nlohmann::json to_json(const raw_floor_result& r) {
  return {{"records", r.records},
          {"first_batch", r.first_batch},
          {"bytes", r.bytes},
          {"seconds", r.seconds},
          {"cpu_seconds", r.cpu_seconds},
          {"checksum", r.checksum},
          {"timed_out", r.timed_out},
          {"records_per_second", r.records_per_second()},
          {"cpu_us_per_record", r.cpu_us_per_record()}};
}

raw_floor_result raw_floor_from_json(const nlohmann::json& j) {
  raw_floor_result r;
  r.records = j.value("records", uint64_t{0});
  r.first_batch = j.value("first_batch", uint64_t{0});
  r.bytes = j.value("bytes", uint64_t{0});
  r.seconds = j.value("seconds", 0.0);
  r.cpu_seconds = j.value("cpu_seconds", 0.0);
  r.checksum = j.value("checksum", uint64_t{0});
  r.timed_out = j.value("timed_out", false);
  return r;
}

caf::expected<raw_floor_result> run_raw_floor(const raw_floor_config& cfg) {
  kafka::consumer_settings s;
  s.client.brokers = cfg.brokers;
  s.group_id = cfg.group_id;
  s.topic = cfg.topic;
  s.overrides = cfg.properties;
  auto gc = kafka::group_consumer::make(s);
  if (!gc) {
    return gc.error();
  }
  using clock = std::chrono::steady_clock;
  raw_floor_result r;
  auto deadline = clock::now() + cfg.timeout;
  clock::time_point first;
  double cpu_first = 0;
  std::map<int32_t, int64_t> next_offsets;
  auto no_revoke = [](std::span<const int32_t>, bool) {};
  while (r.records < cfg.count) {
    if (clock::now() >= deadline) {
      r.timed_out = true;
      break;
    }
    kafka::consumer_events ev;
    auto recs =
      (*gc)->poll(cfg.max_batch, std::chrono::milliseconds(100), ev, no_revoke);
    if (recs.empty()) {
      continue;
    }
    if (r.records == 0) {
      first = clock::now();
      cpu_first = process_cpu_seconds();
      r.first_batch = recs.size();
    }
    for (const auto& rec : recs) {
      r.checksum += touch(rec->key()) + touch(rec->value());
      r.bytes += rec->value().size();
      next_offsets[rec->partition()] = rec->offset() + 1;
    }
    r.records += recs.size();
    // As the daemon does: store what is done, auto commit sends it.
    for (const auto& [p, off] : next_offsets) {
      (void)(*gc)->store_offset(p, off);
    }
    next_offsets.clear();
  }
  r.seconds = std::chrono::duration<double>(clock::now() - first).count();
  r.cpu_seconds = process_cpu_seconds() - cpu_first;
  (void)(*gc)->commit(true);
  (void)(*gc)->close(no_revoke);
  return r;
}

} // namespace ds::bench

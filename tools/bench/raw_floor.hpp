#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace ds::bench {

/// The floor: what any librdkafka consumer pays to read the topic. It is
/// the daemon's own group-consumer adapter with the daemon's settings
/// (cooperative-sticky, auto commit of stored offsets, the same batch size
/// per poll), a fresh group, and no decoding: it reads every byte of every
/// key and value and stores each batch's offsets, nothing else.
struct raw_floor_config {
  std::string brokers;
  std::string topic;
  std::string group_id;
  /// Stop after this many records.
  uint64_t count = 0;
  /// Records per poll (the daemon's consumer.max_batch).
  std::size_t max_batch = 1000;
  std::map<std::string, std::string> properties;
  std::chrono::seconds timeout{120};
};

struct raw_floor_result {
  uint64_t records = 0;
  /// Records in the first poll that returned any: the window starts after
  /// them, as the pipeline's starts at its first non-zero sample.
  uint64_t first_batch = 0;
  uint64_t bytes = 0;
  /// From the first non-empty poll to the last record.
  double seconds = 0;
  /// Process CPU (every thread, librdkafka's included) in that window.
  double cpu_seconds = 0;
  uint64_t checksum = 0;
  bool timed_out = false;

  double records_per_second() const noexcept {
    return seconds > 0 ? static_cast<double>(records - first_batch) / seconds
                       : 0.0;
  }
  double cpu_us_per_record() const noexcept {
    return records > first_batch
             ? cpu_seconds * 1e6 / static_cast<double>(records - first_batch)
             : 0.0;
  }
};

nlohmann::json to_json(const raw_floor_result& r);
raw_floor_result raw_floor_from_json(const nlohmann::json& j);

/// Runs the floor consumer in this process (the `bench-raw` child).
caf::expected<raw_floor_result> run_raw_floor(const raw_floor_config& cfg);

} // namespace ds::bench

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <caf/blocking_actor.hpp>

#include "actors/consumer_probe.hpp"
#include "actors/health.hpp"
#include "actors/partition_reader.hpp"
#include "actors/record_source.hpp"
#include "actors/supervisor.hpp"

namespace ds::actors {

struct consumer_config {
  /// Records fetched per poll at most.
  std::size_t max_batch = 1000;
  /// How long a poll waits when nothing is in flight.
  std::chrono::milliseconds poll_timeout{100};
  /// Per-partition in-flight budget: at `inflight_max` unfinished records
  /// the partition is paused in librdkafka; below `inflight_low` resumed.
  std::size_t inflight_max = 10000;
  std::size_t inflight_low = 5000;
  /// Memory budget for records held in flight, across all partitions
  /// (payload + key + a fixed per-record overhead; 0 = none). At
  /// `inflight_bytes_max` the partition that just received records is
  /// paused; paused partitions resume once the total is at or below
  /// `inflight_bytes_low` (and their own count below `inflight_low`).
  std::size_t inflight_bytes_max = 0;
  std::size_t inflight_bytes_low = 0;
  /// No poll while the pipeline holds this many bytes (counted like
  /// inflight_bytes_max; 0 = no window), except one every
  /// `window_poll_interval`. Polled records are copied into the process;
  /// beyond the window they only grow its working set, which librdkafka's
  /// prefetch holds anyway (docs/bench/history.md, session 13).
  std::size_t dispatch_window_bytes = 0;
  std::chrono::milliseconds window_poll_interval{100};
  /// How long a revoked partition's reader may take to finish.
  caf::timespan drain_timeout = std::chrono::seconds(10);
  /// How often lag gauges are refreshed.
  std::chrono::milliseconds lag_interval{1000};
  /// How long an assignment waits for the partition's high watermark, the
  /// session start that separates backlog from live records.
  std::chrono::milliseconds watermark_timeout{5000};
  /// A poll without infrastructure errors or news reaches the health actor
  /// at most this often (a busy consumer polls thousands of times a
  /// second).
  std::chrono::milliseconds health_report_interval{100};
};

/// Everything the consumer is wired to, built by the composition root.
struct consumer_deps {
  std::unique_ptr<record_source> source;
  /// Supervises the partition readers (children come and go with the
  /// assignment).
  supervisor_actor readers;
  /// A reader's settings for a partition (validators, decode mode); the
  /// consumer fills in partition, live_from_offset and progress_to.
  std::function<partition_reader_config(int32_t partition)> reader_config;
  std::shared_ptr<partition_reader_probe> reader_probe;
  std::shared_ptr<consumer_probe> probe;
  /// Where poll outcomes go (null: nowhere).
  health_actor health;
  /// The circuit breaker's gate: while it reads open, the consumer does not
  /// poll; the breaker's hold-down ends in half_open, whose polls are the
  /// probes (null: never gated).
  std::shared_ptr<const health_board> gate;
};

/// The consumer-group member (handle: consumer_handle, actors/fwd.hpp). A
/// blocking actor on its own thread, because librdkafka's poll (and the
/// rebalance callback that must drain revoked partitions before returning)
/// blocks.
void consumer(caf::blocking_actor* self, consumer_config cfg,
              std::shared_ptr<consumer_deps> deps);

} // namespace ds::actors

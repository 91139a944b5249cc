#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/expected.hpp>

namespace ds::bench {

/// Record→client latencies in 10 µs buckets up to 2 s (beyond: the last
/// bucket, with the largest value kept exactly).
struct latency_histogram {
  static constexpr int64_t bucket_us = 10;
  static constexpr std::size_t buckets = 200'000;
  std::vector<uint64_t> counts = std::vector<uint64_t>(buckets, 0);
  uint64_t observed = 0;
  /// Values below 0 (the clocks of producer and reader are one clock here,
  /// so only a bug gives one).
  uint64_t negative = 0;
  int64_t max_us = 0;
  double sum_us = 0;

  void add(int64_t us);
  void merge(const latency_histogram& other);
  /// The upper edge of the bucket holding quantile `q`, in seconds.
  double quantile_seconds(double q) const;
};

/// What connect_websocket_clients() opened: one socket per client, upgraded,
/// and any frame bytes that arrived with the 101 response.
struct ws_clients {
  std::vector<int> fds;
  std::vector<std::string> leftovers;
};

/// Opens `n` WebSocket connections to `GET /ws` on 127.0.0.1:`port` (no
/// token: the daemon runs with auth.mode = none on loopback).
caf::expected<ws_clients> connect_websocket_clients(uint16_t port,
                                                    std::size_t n);

/// Closes every socket in `fds`.
void close_all(std::vector<int>& fds);

/// Reads server WebSocket frames (RFC 6455, unmasked) from many sockets
/// with a few epoll threads, and counts records: a record is one BINARY
/// frame (contract §5.2: each record is a cursor TEXT frame, then its value
/// as a BINARY frame). Payloads are skipped, not copied, unless needed: the
/// cursor frames (small) are parsed for partition and offset; the values
/// only when latency is on (for the header timestamp, decoded once per
/// record and thread) or for the capture of the first connection.
///
/// The same code reads the daemon's fan-out and the raw floor's plain TCP
/// connections, so both are measured with one reader. Owns the sockets;
/// threads start in the constructor and stop in stop() or the destructor.
class frame_reader {
public:
  struct options {
    int threads = 1;
    /// Keep every record's frame bytes received on the first connection:
    /// the raw floor writes exactly these.
    bool capture_first = false;
  };

  frame_reader(std::vector<int> fds, std::vector<std::string> leftovers,
               options opts);
  ~frame_reader();

  frame_reader(const frame_reader&) = delete;
  frame_reader& operator=(const frame_reader&) = delete;

  std::size_t connections() const noexcept { return conns_.size(); }

  /// Records received so far on every connection together.
  uint64_t records() const noexcept;

  /// The fewest records any connection has received.
  uint64_t min_records() const noexcept;

  /// Connections the peer closed (or that failed to parse).
  std::size_t closed() const noexcept;

  /// Starts measuring record→client latency for records received from now
  /// on.
  void measure_latency(bool on) noexcept;

  /// Latency over time since measure_latency(true), in slots of
  /// `slot_us`: how many records, how many later than `late_us`, the
  /// largest. Read after stop().
  struct latency_slot {
    uint64_t records = 0;
    uint64_t late = 0;
    int64_t max_us = 0;
  };
  static constexpr int64_t slot_us = 250'000;
  static constexpr int64_t late_us = 20'000;
  std::vector<latency_slot> latency_timeline() const;

  /// When the first record arrived since the last reset_first_record(),
  /// and when any reader last made progress (steady clock, ns; 0: never).
  int64_t first_record_ns() const noexcept { return first_ns_; }
  int64_t last_progress_ns() const noexcept;
  void reset_first_record() noexcept { first_ns_ = 0; }

  /// CPU seconds of the reader threads together.
  double cpu_seconds() const noexcept;

  /// Stops and joins the threads (idempotent); then latency() and
  /// captured() are safe to read.
  void stop();

  latency_histogram latency() const;

  /// Every record frame (cursor TEXT + value BINARY) of the first
  /// connection, back to back, and the offset where each record starts.
  const std::string& captured() const noexcept { return capture_; }
  const std::vector<std::size_t>& captured_starts() const noexcept {
    return capture_starts_;
  }

  /// Waits until every connection has at least `target()` records (`target`
  /// may grow while waiting: a producer still running returns UINT64_MAX
  /// until it knows its count). Fails when `deadline` passes, a connection
  /// closes, or `stop` says so. `tick` is called about every 200 ms.
  caf::error wait_for(const std::function<uint64_t()>& target,
                      std::chrono::steady_clock::time_point deadline,
                      const std::function<bool()>& stop,
                      const std::function<void()>& tick = {});

private:
  struct connection;
  struct worker;

  void run(worker& w);

  std::vector<std::unique_ptr<connection>> conns_;
  std::vector<std::unique_ptr<worker>> workers_;
  options opts_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> latency_on_{false};
  std::atomic<int64_t> latency_since_us_{0};
  std::atomic<int64_t> first_ns_{0};
  std::string capture_;
  std::vector<std::size_t> capture_starts_;
  bool stopped_ = false;
};

} // namespace ds::bench

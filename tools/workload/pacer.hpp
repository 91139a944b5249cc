#pragma once

#include <chrono>
#include <cstdint>

namespace ds::workload {

/// Paces a sender to a fixed rate against a steady clock: record n is due
/// at start + n / rate. The sender asks how long to wait before record n
/// and is told to wait only when it is more than `slack` ahead, so at high
/// rates it sends bursts between rare waits instead of sleeping per record
/// (a sleep costs far more than one record's budget), while the average
/// rate stays exact. Time is passed in, so tests need no clock.
class pacer {
public:
  using clock = std::chrono::steady_clock;

  /// `rate` in records per second; 0 or less means unpaced.
  pacer(double rate, clock::time_point start,
        clock::duration slack = std::chrono::milliseconds{1});

  /// When record `n` (0-based) is due.
  clock::time_point due(uint64_t n) const noexcept;

  /// How long to wait at `now` before sending record `n`; zero when the
  /// sender is not more than `slack` ahead, or unpaced.
  clock::duration wait_before(uint64_t n, clock::time_point now) const noexcept;

  bool paced() const noexcept { return rate_ > 0; }

private:
  double rate_;
  clock::time_point start_;
  clock::duration slack_;
};

} // namespace ds::workload

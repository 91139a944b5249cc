#include "tools/workload/pacer.hpp"

namespace ds::workload {

pacer::pacer(double rate, clock::time_point start, clock::duration slack)
  : rate_(rate), start_(start), slack_(slack) {}

pacer::clock::time_point pacer::due(uint64_t n) const noexcept {
  if (rate_ <= 0) {
    return start_;
  }
  // Computed from the start each time (not accumulated), so rounding never
  // drifts over millions of records.
  std::chrono::duration<double> offset{static_cast<double>(n) / rate_};
  return start_ + std::chrono::duration_cast<clock::duration>(offset);
}

pacer::clock::duration
pacer::wait_before(uint64_t n, clock::time_point now) const noexcept {
  if (rate_ <= 0) {
    return clock::duration::zero();
  }
  auto ahead = due(n) - now;
  return ahead > slack_ ? ahead : clock::duration::zero();
}

} // namespace ds::workload

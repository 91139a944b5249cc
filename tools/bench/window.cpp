#include "tools/bench/window.hpp"

#include <algorithm>

namespace ds::bench {

throughput_window estimate_window(const std::vector<progress_point>& ps) {
  if (ps.empty()) {
    return {};
  }
  std::size_t i0 = 0;
  while (i0 < ps.size() && ps[i0].processed <= 0) {
    ++i0;
  }
  if (i0 > 0 &&
      (i0 + 1 >= ps.size() || ps[i0].processed >= ps.back().processed)) {
    --i0;
  }
  const auto& s0 = ps[std::min(i0, ps.size() - 1)];
  const auto& last = ps.back();
  double finish = last.t;
  if (ps.size() >= 2 && ps.size() - 2 > i0) {
    const auto& prev = ps[ps.size() - 2];
    double avg = (prev.processed - s0.processed) / (prev.t - s0.t);
    if (avg > 0) {
      finish =
        std::min(last.t, prev.t + (last.processed - prev.processed) / avg);
    }
  }
  return {s0.t, finish, last.processed - s0.processed,
          last.cpu_seconds - s0.cpu_seconds};
}

double next_scrape_delay(const std::vector<progress_point>& ps, double goal,
                         double coarse, double fine) {
  if (ps.size() < 2) {
    return coarse;
  }
  const auto& last = ps.back();
  const auto& prev = ps[ps.size() - 2];
  auto step = last.t - prev.t;
  auto done = last.processed - prev.processed;
  if (step <= 0 || done <= 0) {
    return coarse;
  }
  auto left = goal - last.processed;
  return left / (done / step) < 2 * coarse ? fine : coarse;
}

} // namespace ds::bench

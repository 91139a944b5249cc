#include "runtime/metrics/exemplars.hpp"

#include <algorithm>
#include <chrono>

namespace ds::metrics {

histogram_exemplars::histogram_exemplars(std::string family,
                                         std::vector<double> bounds)
  : family_(std::move(family)), bounds_(std::move(bounds)),
    entries_(bounds_.size() + 1) {}

void histogram_exemplars::record(double value, std::string trace_id,
                                 std::string span_id) {
  // The bucket an observation counts in first: le is inclusive.
  auto idx = static_cast<std::size_t>(
    std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  auto now = std::chrono::duration<double>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = entries_[idx];
  e.set = true;
  e.value = value;
  e.timestamp = now;
  e.trace_id = std::move(trace_id);
  e.span_id = std::move(span_id);
}

std::vector<histogram_exemplars::entry> histogram_exemplars::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_;
}

void exemplar_board::add(std::shared_ptr<const histogram_exemplars> h) {
  std::lock_guard<std::mutex> guard{mtx_};
  all_.push_back(std::move(h));
}

const histogram_exemplars* exemplar_board::find(std::string_view family) const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& h : all_) {
    if (h->family() == family) {
      return h.get();
    }
  }
  return nullptr;
}

} // namespace ds::metrics

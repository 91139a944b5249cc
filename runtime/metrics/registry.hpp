#pragma once

#include <memory>

#include <prometheus/registry.h>

#include "runtime/metrics/exemplars.hpp"

namespace ds::metrics {

/// The process's one metrics registry (contract §8.11: the old system had
/// two, and alerts referenced series nobody scraped). The composition root
/// creates exactly one and hands `get()` to every probe; the /metrics
/// handler keeps a copy and renders it, so whatever is registered here is
/// exported. Copies share the same prometheus registry; prometheus-cpp makes
/// it safe to use from any thread.
class registry {
public:
  registry();

  prometheus::Registry& get() const noexcept { return *ptr_; }

  /// The histograms' exemplars, which the OpenMetrics rendering shows.
  exemplar_board& exemplars() const noexcept { return *exemplars_; }

  /// For owners that must outlive the composition root's copy (a handler
  /// captured in a std::function, for instance).
  const std::shared_ptr<prometheus::Registry>& shared() const noexcept {
    return ptr_;
  }

private:
  std::shared_ptr<prometheus::Registry> ptr_;
  std::shared_ptr<exemplar_board> exemplars_;
};

} // namespace ds::metrics

#pragma once

#include <map>
#include <string>

#include <prometheus/registry.h>

namespace ds::test {

/// The value of one series in `registry` (counter, gauge, or a histogram's
/// sample count), matched by name and a subset of labels; 0 when absent.
/// Sums every series that matches, so {} gives a family's total.
inline double metric(const prometheus::Registry& registry,
                     const std::string& name,
                     const std::map<std::string, std::string>& labels = {}) {
  double total = 0;
  for (const auto& fam : registry.Collect()) {
    if (fam.name != name) {
      continue;
    }
    for (const auto& m : fam.metric) {
      bool match = true;
      for (const auto& [k, v] : labels) {
        bool found = false;
        for (const auto& lp : m.label) {
          found = found || (lp.name == k && lp.value == v);
        }
        match = match && found;
      }
      if (!match) {
        continue;
      }
      switch (fam.type) {
        case prometheus::MetricType::Counter:
          total += m.counter.value;
          break;
        case prometheus::MetricType::Gauge:
          total += m.gauge.value;
          break;
        case prometheus::MetricType::Histogram:
          total += static_cast<double>(m.histogram.sample_count);
          break;
        default:
          break;
      }
    }
  }
  return total;
}

} // namespace ds::test

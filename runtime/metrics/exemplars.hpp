#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ds::metrics {

/// The newest exemplar of each bucket of one histogram: a traced
/// observation's value, time and trace, which /metrics shows in the
/// OpenMetrics format so a latency bucket links to a trace. prometheus-cpp
/// 1.0 has no exemplars, hence this side table. Written only for traced
/// observations (a sampled fraction), so one mutex is enough.
class histogram_exemplars {
public:
  struct entry {
    bool set = false;
    double value = 0;
    double timestamp = 0; // seconds since the Unix epoch
    std::string trace_id;
    std::string span_id;
  };

  /// `bounds`: the histogram's bucket upper bounds, ascending (+Inf is
  /// implied, as in prometheus-cpp).
  histogram_exemplars(std::string family, std::vector<double> bounds);

  /// Keeps (value, ids) as the exemplar of the bucket `value` falls into.
  void record(double value, std::string trace_id, std::string span_id);

  /// One entry per bucket, +Inf last.
  std::vector<entry> snapshot() const;

  const std::string& family() const noexcept { return family_; }

private:
  std::string family_;
  std::vector<double> bounds_;
  mutable std::mutex mtx_;
  std::vector<entry> entries_;
};

/// Every histogram of the registry that carries exemplars.
class exemplar_board {
public:
  void add(std::shared_ptr<const histogram_exemplars> h);
  /// nullptr when `family` has none.
  const histogram_exemplars* find(std::string_view family) const;

private:
  mutable std::mutex mtx_;
  std::vector<std::shared_ptr<const histogram_exemplars>> all_;
};

} // namespace ds::metrics

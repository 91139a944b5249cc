#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace ds::actors {

/// Why a quality message was not counted (the `reason` label of
/// dashstream_quality_invalid_total).
enum class quality_invalid : uint8_t {
  /// The record did not decode again (the reader decoded it; should not
  /// happen unless the options differ).
  undecodable,
  /// quality_score or passed is absent.
  missing_field,
  /// A field has a type it cannot have (a string score, a float `passed`).
  wrong_type,
  /// A number outside its range: a score or ratio outside 0..1, a negative
  /// or non-finite latency, a negative or fractional count.
  out_of_range,
};

inline constexpr std::array<std::string_view, 4> quality_invalid_labels{
  "undecodable", "missing_field", "wrong_type", "out_of_range"};

/// The caps on the quality family's label values (config [quality]).
struct quality_limits {
  std::size_t max_models = 20;
  std::size_t max_categories = 20;
  std::size_t max_tenants = 20;
};

/// One label with a bounded number of values: the first `max` distinct
/// values get a slot each, every later one shares the overflow slot, whose
/// label value is "other". An empty value is "unknown"; a value longer than
/// max_value_bytes overflows (no one reads a 10 KiB label).
class label_cap {
public:
  static constexpr std::size_t max_value_bytes = 128;
  static constexpr std::string_view overflow_value = "other";
  static constexpr std::string_view empty_value = "unknown";

  explicit label_cap(std::size_t max);

  /// The slot of `value`; `overflowed` is set when it got the overflow slot.
  std::size_t slot(std::string_view value, bool& overflowed);

  /// The overflow slot's index (every other slot is below it).
  std::size_t overflow_slot() const noexcept { return max_; }

  /// The label value of a slot.
  const std::string& value(std::size_t slot) const { return values_[slot]; }

private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view x) const noexcept {
      return std::hash<std::string_view>{}(x);
    }
  };
  std::size_t max_;
  std::unordered_map<std::string, std::size_t, hash, std::equal_to<>> slots_;
  std::vector<std::string> values_; // index = slot; [max_] = "other"
};

/// Contract §6's quality family in our names (docs/quality.md). Owned by the
/// daemon for the whole process, so a restarted aggregator keeps the label
/// slots it handed out and the caps hold for the registry, not for one
/// incarnation. Labelled series are resolved once per label combination,
/// never per message. Not thread-safe: its one user (quality_tally)
/// serializes.
class quality_probe {
public:
  quality_probe(prometheus::Registry& reg, quality_limits limits);

  /// The series of one model and category, resolved once.
  struct query_series {
    prometheus::Counter* passed = nullptr;
    prometheus::Counter* failed = nullptr;
  };
  struct model_series {
    prometheus::Histogram* score = nullptr;
    prometheus::Histogram* latency = nullptr;
  };

  /// The series for these label values, capped (overflow counted).
  query_series& queries(std::string_view model, std::string_view category,
                        model_series*& per_model);
  query_series& tenant_queries(std::string_view tenant);

  void invalid(quality_invalid why) {
    invalid_[static_cast<std::size_t>(why)]->Increment();
  }

  prometheus::Histogram& accuracy;
  prometheus::Histogram& relevance;
  prometheus::Histogram& completeness;
  prometheus::Histogram& turn_number;
  prometheus::Counter& retries;

private:
  std::size_t slot(label_cap& cap, prometheus::Counter& overflow,
                   std::string_view value);

  prometheus::Family<prometheus::Counter>& queries_;
  prometheus::Family<prometheus::Counter>& tenant_queries_;
  prometheus::Family<prometheus::Histogram>& score_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& overflow_;
  prometheus::Family<prometheus::Counter>& invalid_family_;
  prometheus::Counter& model_overflow_;
  prometheus::Counter& category_overflow_;
  prometheus::Counter& tenant_overflow_;
  std::array<prometheus::Counter*, quality_invalid_labels.size()> invalid_{};
  label_cap models_;
  label_cap categories_;
  label_cap tenants_;
  std::vector<model_series> by_model_;                 // index = model slot
  std::vector<query_series> by_tenant_;                // index = tenant slot
  std::unordered_map<uint64_t, query_series> by_pair_; // model x category
};

} // namespace ds::actors

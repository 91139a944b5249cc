#include "actors/quality_probe.hpp"

namespace ds::actors {

namespace {

// Tenths: the score and the three ratios are 0..1, and alerts and panels
// read averages (_sum/_count) and coarse quantiles from them.
const prometheus::Histogram::BucketBoundaries ratio_buckets{
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

// An LLM query: tens of milliseconds to a minute.
const prometheus::Histogram::BucketBoundaries latency_buckets{
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

const prometheus::Histogram::BucketBoundaries turn_buckets{1,  2,  3,  5,
                                                           10, 20, 50, 100};

prometheus::Histogram&
histogram(prometheus::Registry& reg, const char* name, const char* help,
          const prometheus::Histogram::BucketBoundaries& buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(reg).Add(
    {}, buckets);
}

} // namespace

label_cap::label_cap(std::size_t max) : max_(max) {
  values_.resize(max_ + 1);
  values_[max_] = std::string{overflow_value};
}

std::size_t label_cap::slot(std::string_view value, bool& overflowed) {
  overflowed = false;
  if (value.empty()) {
    value = empty_value;
  }
  if (auto it = slots_.find(value); it != slots_.end()) {
    return it->second;
  }
  if (slots_.size() >= max_ || value.size() > max_value_bytes) {
    overflowed = true;
    return max_;
  }
  auto s = slots_.size();
  slots_.emplace(std::string{value}, s);
  values_[s] = std::string{value};
  return s;
}

quality_probe::quality_probe(prometheus::Registry& reg, quality_limits limits)
  : accuracy(histogram(reg, "dashstream_quality_accuracy",
                       "Accuracy of quality-scored queries (0..1)",
                       ratio_buckets)),
    relevance(histogram(reg, "dashstream_quality_relevance",
                        "Relevance of quality-scored queries (0..1)",
                        ratio_buckets)),
    completeness(histogram(reg, "dashstream_quality_completeness",
                           "Completeness of quality-scored queries (0..1)",
                           ratio_buckets)),
    turn_number(histogram(reg, "dashstream_quality_turn_number",
                          "Conversation turn of quality-scored queries",
                          turn_buckets)),
    retries(prometheus::BuildCounter()
              .Name("dashstream_quality_retries_total")
              .Help("Retries reported by quality-scored queries (sum of "
                    "retry_count)")
              .Register(reg)
              .Add({})),
    queries_(prometheus::BuildCounter()
               .Name("dashstream_quality_queries_total")
               .Help("Quality-scored queries by model, category and outcome "
                     "(passed|failed); label values capped, the rest is "
                     "'other'")
               .Register(reg)),
    tenant_queries_(prometheus::BuildCounter()
                      .Name("dashstream_quality_tenant_queries_total")
                      .Help("Quality-scored queries by tenant and outcome; "
                            "tenants capped, the rest is 'other'")
                      .Register(reg)),
    score_(prometheus::BuildHistogram()
             .Name("dashstream_quality_score")
             .Help("Quality score of queries (0..1), by model")
             .Register(reg)),
    latency_(prometheus::BuildHistogram()
               .Name("dashstream_quality_query_latency_seconds")
               .Help("Latency of quality-scored queries, by model")
               .Register(reg)),
    overflow_(prometheus::BuildCounter()
                .Name("dashstream_quality_label_overflow_total")
                .Help("Quality messages whose model, category or tenant got "
                      "the label value 'other' (over its cap)")
                .Register(reg)),
    invalid_family_(prometheus::BuildCounter()
                      .Name("dashstream_quality_invalid_total")
                      .Help("Quality messages not counted, by reason")
                      .Register(reg)),
    model_overflow_(overflow_.Add({{"label", "model"}})),
    category_overflow_(overflow_.Add({{"label", "category"}})),
    tenant_overflow_(overflow_.Add({{"label", "tenant"}})),
    models_(limits.max_models), categories_(limits.max_categories),
    tenants_(limits.max_tenants), by_model_(limits.max_models + 1),
    by_tenant_(limits.max_tenants + 1) {
  for (std::size_t i = 0; i < quality_invalid_labels.size(); ++i) {
    invalid_[i] = &invalid_family_.Add(
      {{"reason", std::string{quality_invalid_labels[i]}}});
  }
}

std::size_t quality_probe::slot(label_cap& cap, prometheus::Counter& overflow,
                                std::string_view value) {
  bool overflowed = false;
  auto s = cap.slot(value, overflowed);
  if (overflowed) {
    overflow.Increment();
  }
  return s;
}

quality_probe::query_series& quality_probe::queries(std::string_view model,
                                                    std::string_view category,
                                                    model_series*& per_model) {
  auto m = slot(models_, model_overflow_, model);
  auto c = slot(categories_, category_overflow_, category);
  auto& ms = by_model_[m];
  if (ms.score == nullptr) {
    const auto& name = models_.value(m);
    ms.score = &score_.Add({{"model", name}}, ratio_buckets);
    ms.latency = &latency_.Add({{"model", name}}, latency_buckets);
  }
  per_model = &ms;
  auto key = static_cast<uint64_t>(m) *
               (static_cast<uint64_t>(categories_.overflow_slot()) + 1) +
             c;
  auto& qs = by_pair_[key];
  if (qs.passed == nullptr) {
    const auto& mv = models_.value(m);
    const auto& cv = categories_.value(c);
    qs.passed =
      &queries_.Add({{"model", mv}, {"category", cv}, {"outcome", "passed"}});
    qs.failed =
      &queries_.Add({{"model", mv}, {"category", cv}, {"outcome", "failed"}});
  }
  return qs;
}

quality_probe::query_series&
quality_probe::tenant_queries(std::string_view tenant) {
  auto t = slot(tenants_, tenant_overflow_, tenant);
  auto& qs = by_tenant_[t];
  if (qs.passed == nullptr) {
    const auto& tv = tenants_.value(t);
    qs.passed = &tenant_queries_.Add({{"tenant", tv}, {"outcome", "passed"}});
    qs.failed = &tenant_queries_.Add({{"tenant", tv}, {"outcome", "failed"}});
  }
  return qs;
}

} // namespace ds::actors

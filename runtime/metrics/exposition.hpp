#pragma once

#include <string>
#include <string_view>

#include <prometheus/registry.h>

#include "runtime/metrics/exemplars.hpp"

namespace ds::metrics {

/// Content type of render_text() (Prometheus text exposition format 0.0.4).
inline constexpr std::string_view text_content_type =
  "text/plain; version=0.0.4";

/// Content type of render_openmetrics() (OpenMetrics 1.0 text).
inline constexpr std::string_view openmetrics_content_type =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Everything in `registry`, in the Prometheus text format. Scrape-time
/// gauges (process_probe) must be refreshed by the caller first.
std::string render_text(const prometheus::Registry& registry);

/// The same in the OpenMetrics text format, with the exemplars of
/// `exemplars` on their histograms' buckets. prometheus-cpp 1.0 has no
/// OpenMetrics serializer. Counters whose name ends in _total keep it as
/// the sample name and drop it from the family name, as OpenMetrics asks;
/// other counters are typed unknown so their names do not change.
std::string render_openmetrics(const prometheus::Registry& registry,
                               const exemplar_board* exemplars);

/// True when an Accept header asks for OpenMetrics (as Prometheus does when
/// exemplar storage or native scraping options are on), unless it gives it
/// q=0.
bool wants_openmetrics(std::string_view accept);

} // namespace ds::metrics

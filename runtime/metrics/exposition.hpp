#pragma once

#include <string>
#include <string_view>

#include <prometheus/registry.h>

namespace ds::metrics {

/// Content type of render_text() (Prometheus text exposition format 0.0.4).
inline constexpr std::string_view text_content_type =
  "text/plain; version=0.0.4";

/// Everything in `registry`, in the Prometheus text format. Scrape-time
/// gauges (process_probe) must be refreshed by the caller first.
std::string render_text(const prometheus::Registry& registry);

} // namespace ds::metrics

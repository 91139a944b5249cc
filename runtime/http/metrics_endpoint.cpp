#include "runtime/http/metrics_endpoint.hpp"

#include "runtime/metrics/exposition.hpp"

namespace ds::http {

handler metrics_handler(metrics::registry registry,
                        metrics::process_probe& process) {
  return [registry = std::move(registry), &process](const request& req) {
    // Without /proc the process gauges keep their last values; the rest of
    // the scrape is still worth answering.
    static_cast<void>(metrics::collect_process(process));
    response res;
    // A scraper that asks for OpenMetrics gets the exemplars too.
    if (metrics::wants_openmetrics(req.header("Accept").value_or(""))) {
      res.content_type = std::string{metrics::openmetrics_content_type};
      res.body =
        metrics::render_openmetrics(registry.get(), &registry.exemplars());
    } else {
      res.content_type = std::string{metrics::text_content_type};
      res.body = metrics::render_text(registry.get());
    }
    res.headers.emplace_back("Vary", "Accept");
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
  };
}

} // namespace ds::http

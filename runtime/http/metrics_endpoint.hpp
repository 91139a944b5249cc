#pragma once

#include "runtime/http/router.hpp"
#include "runtime/metrics/process_probe.hpp"
#include "runtime/metrics/registry.hpp"

namespace ds::http {

/// The GET /metrics handler: refreshes the process metrics, then renders the
/// whole registry in the Prometheus text format, or in OpenMetrics with the
/// histograms' exemplars when the Accept header asks for it. `process` must
/// outlive the server the handler is registered with.
handler metrics_handler(metrics::registry registry,
                        metrics::process_probe& process);

} // namespace ds::http

#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "runtime/http/server.hpp"
#include "runtime/metrics/registry.hpp"

namespace ds::bench {

/// The collector of a tracing bench: an OTLP/HTTP endpoint on loopback that
/// answers every POST /v1/traces with 200 and counts what it got. It parses
/// no body (a real collector would, on the same two cores: what the daemon
/// pays is the question, and this keeps the sink's share small).
class otlp_sink {
public:
  static caf::expected<std::unique_ptr<otlp_sink>> start();

  /// http://127.0.0.1:<port>, for tracing.endpoint.
  std::string url() const;
  uint64_t requests() const { return requests_->load(); }
  uint64_t bytes() const { return bytes_->load(); }

private:
  otlp_sink() = default;
  metrics::registry registry_; // the server's own metrics, unused
  std::shared_ptr<std::atomic<uint64_t>> requests_ =
    std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> bytes_ =
    std::make_shared<std::atomic<uint64_t>>(0);
  std::unique_ptr<http::server> server_;
};

} // namespace ds::bench

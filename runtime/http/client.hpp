#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace ds::http {

/// What the daemon answered.
struct client_response {
  int status = 0;
  std::string body;
};

/// A request body and its Content-Type.
struct request_body {
  std::string content_type;
  std::string data;
};

/// One HTTP/1.1 request to an operator endpoint (`dashstream` subcommands
/// talking to a running daemon) or a collector (the trace exporter),
/// bounded by `timeout` end to end. errc::request_failed when nothing
/// answers, or the exchange fails.
caf::expected<client_response>
request_once(const std::string& host, uint16_t port, const std::string& method,
             const std::string& target, std::chrono::milliseconds timeout,
             const request_body* body = nullptr);

} // namespace ds::http

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ds::http {

/// One parsed HTTP request as handlers see it: our own type, so handlers
/// (and the actors feeding them snapshots) never include Beast.
struct request {
  /// As sent: "GET", "HEAD", ...
  std::string method;
  /// The raw request-target, e.g. "/health?verbose=1".
  std::string target;
  /// The target before '?', still percent-encoded; routes match on it.
  std::string path;
  /// The target after '?', raw; "" when there is none.
  std::string query;
  /// The peer's IP address, e.g. "127.0.0.1".
  std::string remote_address;
  /// Every header field, names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The request body, at most server_config::max_request_bytes.
  std::string body;

  /// The first header called `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;

  /// The first query parameter called `name`, percent-decoded ('+' is a
  /// space); "" for a bare `?name`. nullopt when absent or badly encoded.
  std::optional<std::string> query_param(std::string_view name) const;
};

} // namespace ds::http

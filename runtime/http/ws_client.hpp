#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace ds::http {

/// A blocking WebSocket client (Beast) for command-line tools: one
/// connection, messages read one at a time. Not thread-safe.
class ws_client {
public:
  struct message {
    bool binary = false;
    std::string payload;
  };

  /// Connects to ws://host:port/target with extra request headers.
  /// Errors (ds::http::errc): connect_failed, or the HTTP status that
  /// refused the upgrade (e.g. 401) in the message.
  static caf::expected<std::unique_ptr<ws_client>>
  connect(const std::string& host, uint16_t port, const std::string& target,
          const std::vector<std::pair<std::string, std::string>>& headers,
          std::chrono::milliseconds timeout);

  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  caf::error send_text(const std::string& text);

  /// The next message; an error when the connection closed (the close
  /// reason in the message) or nothing came within `timeout`
  /// (errc::timed_out).
  caf::expected<message> read(std::chrono::milliseconds timeout);

private:
  struct impl;
  explicit ws_client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace ds::http

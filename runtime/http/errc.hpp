#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::http {

enum class errc : uint8_t {
  none = 0,
  /// A server_config value is out of range (zero threads, zero timeout...).
  invalid_config,
  /// server_config::host is not an IP address literal or "localhost".
  invalid_host,
  /// Another socket already listens on host:port.
  address_in_use,
  /// bind() or listen() failed for another reason (permission denied...).
  bind_failed,
  /// A route was registered twice, or its path is not absolute.
  invalid_route,
  /// A static-file request path tries to leave its directory (`..`,
  /// absolute, NUL, dot segment, bad percent-encoding). Answered with 400.
  unsafe_path,
  /// No such static file. Answered with 404.
  file_not_found,
  /// A static file exists but could not be read, or is too large. 500.
  file_unreadable,
  /// A client request found no server, or the exchange failed or timed out.
  request_failed,
};

} // namespace ds::http

template<>
struct ds::diag::errc_traits<ds::http::errc> {
  static constexpr std::string_view name = "http";
  static constexpr caf::atom_value category = caf::atom("ds_http");
  static constexpr std::array<std::string_view, 10> labels{
    "none",           "invalid_config", "invalid_host",
    "address_in_use", "bind_failed",    "invalid_route",
    "unsafe_path",    "file_not_found", "file_unreadable",
    "request_failed"};
};

namespace ds::http {

using diag::make_error;
using diag::to_string;

/// The http error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::http

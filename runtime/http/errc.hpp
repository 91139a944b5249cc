#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

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

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_config:
      return "invalid_config";
    case errc::invalid_host:
      return "invalid_host";
    case errc::address_in_use:
      return "address_in_use";
    case errc::bind_failed:
      return "bind_failed";
    case errc::invalid_route:
      return "invalid_route";
    case errc::unsafe_path:
      return "unsafe_path";
    case errc::file_not_found:
      return "file_not_found";
    case errc::file_unreadable:
      return "file_unreadable";
    case errc::request_failed:
      return "request_failed";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_http");

inline caf::error make_error(errc x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), error_category,
                    caf::make_message(std::move(detail))};
}

inline errc to_errc(const caf::error& err) noexcept {
  if (!err || err.category() != error_category) {
    return errc::none;
  }
  return static_cast<errc>(err.code());
}

} // namespace ds::http

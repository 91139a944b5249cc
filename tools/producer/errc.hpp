#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace ds::producer {

enum class errc : uint8_t {
  none = 0,
  /// tenant_id empty, longer than 64 or outside [A-Za-z0-9._-].
  invalid_tenant_id,
  /// The record key (thread_id) would be empty.
  empty_thread_id,
  /// The tenant's token bucket is empty (contract §2 rate limit).
  rate_limited,
  /// The message has no oneof variant to send.
  no_message_variant,
};

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_tenant_id:
      return "invalid_tenant_id";
    case errc::empty_thread_id:
      return "empty_thread_id";
    case errc::rate_limited:
      return "rate_limited";
    case errc::no_message_variant:
      return "no_message_variant";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_prod");

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

} // namespace ds::producer

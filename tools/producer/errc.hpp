#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "diag/errc.hpp"

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

} // namespace ds::producer

template<>
struct ds::diag::errc_traits<ds::producer::errc> {
  static constexpr std::string_view name = "producer";
  static constexpr caf::atom_value category = caf::atom("ds_prod");
  static constexpr std::array<std::string_view, 5> labels{
    "none", "invalid_tenant_id", "empty_thread_id", "rate_limited",
    "no_message_variant"};
};

namespace ds::producer {

using diag::make_error;
using diag::to_string;

/// The producer error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

} // namespace ds::producer

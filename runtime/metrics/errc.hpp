#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace ds::metrics {

enum class errc : uint8_t {
  none = 0,
  /// /proc/self/stat or /proc/self/statm could not be read or parsed; the
  /// process gauges keep their previous values.
  proc_unreadable,
};

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::proc_unreadable:
      return "proc_unreadable";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_metric");

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

} // namespace ds::metrics

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace ds::actors {

enum class errc : uint8_t {
  none = 0,
  /// A supervisor saw more restarts than its intensity allows and gave up.
  restart_intensity_exceeded,
  /// A child name was added twice to one supervisor.
  duplicate_child,
  /// A validator threw while checking a record. The error's context is
  /// (what, partition, offset) of that record, so its reader can tell a
  /// poison record from a bystander.
  validator_crashed,
};

constexpr std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::restart_intensity_exceeded:
      return "restart_intensity_exceeded";
    case errc::duplicate_child:
      return "duplicate_child";
    case errc::validator_crashed:
      return "validator_crashed";
  }
  return "unknown";
}

constexpr caf::atom_value error_category = caf::atom("ds_actors");

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

} // namespace ds::actors

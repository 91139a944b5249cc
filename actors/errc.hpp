#pragma once

#include <array>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "diag/errc.hpp"

namespace ds::actors {

/// Failures of the supervision tree and the validators.
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
  /// A partition reader threw while processing a record; the context is
  /// (what, partition, offset) when it was processing one.
  reader_crashed,
};

} // namespace ds::actors

template<>
struct ds::diag::errc_traits<ds::actors::errc> {
  static constexpr std::string_view name = "actors";
  static constexpr caf::atom_value category = caf::atom("ds_actors");
  static constexpr std::array<std::string_view, 5> labels{
    "none", "restart_intensity_exceeded", "duplicate_child",
    "validator_crashed", "reader_crashed"};
};

namespace ds::actors {

using diag::make_error;
using diag::to_string;

/// The actors error carried by `err`, or errc::none for anything else.
inline errc to_errc(const caf::error& err) noexcept {
  return diag::to_errc<errc>(err);
}

/// What an actor's exception handler reports: the exception's message, or
/// "unknown exception" for anything not derived from std::exception.
inline std::string what_of(const std::exception_ptr& eptr) {
  try {
    std::rethrow_exception(eptr);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

} // namespace ds::actors

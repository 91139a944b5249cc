#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>

namespace ds::diag {

/// What a module says about its `errc` enum, specialised beside the enum:
///
///   template<>
///   struct diag::errc_traits<kafka::errc> {
///     static constexpr std::string_view name = "kafka";
///     static constexpr caf::atom_value category = caf::atom("ds_kafka");
///     static constexpr std::array<std::string_view, 11> labels{
///       "none", "invalid_config", ...};
///   };
///
/// `name` is what people read ("kafka: timed_out: ..."); `category` is the
/// atom inside caf::error (at most 10 characters, never reused); `labels[i]`
/// is the stable label of value i (metrics, logs, DLQ records). Value 0 is
/// `none`: caf::error treats code 0 as "no error".
template<class E>
struct errc_traits;

template<class E>
concept module_errc = std::is_enum_v<E> &&
  std::same_as<std::underlying_type_t<E>, uint8_t> && requires {
  { errc_traits<E>::name } -> std::convertible_to<std::string_view>;
  { errc_traits<E>::category } -> std::convertible_to<caf::atom_value>;
  { errc_traits<E>::labels.size() } -> std::convertible_to<std::size_t>;
};

template<module_errc E>
constexpr std::string_view to_string(E x) noexcept {
  const auto& labels = errc_traits<E>::labels;
  auto i = static_cast<std::size_t>(x);
  return i < labels.size() ? labels[i] : std::string_view{"unknown"};
}

/// One row of the table that describe() and register_error_categories()
/// read.
struct category_info {
  caf::atom_value category;
  std::string_view name;
  std::string_view (*label)(uint8_t code) noexcept;
};

/// Adds `info` to the process-wide category table; returns true. Called
/// through `registered<E>`, not by hand.
bool add_category(const category_info& info);

/// Instantiated by make_error<E>, so every category whose errors a program
/// can make is in the table before main() runs. Why not one list: the
/// categories live in every module up to tools/, and describe() must work
/// in all of them, below the code that could hold such a list.
template<module_errc E>
inline const bool registered = add_category(
  {errc_traits<E>::category, errc_traits<E>::name,
   [](uint8_t code) noexcept { return to_string(static_cast<E>(code)); }});

template<module_errc E>
caf::error make_error(E x) {
  static_cast<void>(registered<E>);
  return caf::error{static_cast<uint8_t>(x), errc_traits<E>::category};
}

/// An error whose detail() is `text`: what failed and where, for people.
template<module_errc E>
caf::error make_error(E x, std::string text) {
  static_cast<void>(registered<E>);
  return caf::error{static_cast<uint8_t>(x), errc_traits<E>::category,
                    caf::make_message(std::move(text))};
}

/// An error with a structured context, for a receiver that reads it back
/// (a validator's crash names its record this way).
template<module_errc E>
caf::error make_error(E x, caf::message context) {
  static_cast<void>(registered<E>);
  return caf::error{static_cast<uint8_t>(x), errc_traits<E>::category,
                    std::move(context)};
}

/// The E carried by `err`, or E::none when `err` is empty or another
/// module's.
template<module_errc E>
constexpr E to_errc(const caf::error& err) noexcept {
  if (!err || err.category() != errc_traits<E>::category) {
    return E{};
  }
  return static_cast<E>(err.code());
}

/// The text given to make_error(x, text); CAF's rendering of any other
/// context; empty when there is none.
std::string error_detail(const caf::error& err);

/// "<module>: <label>: <detail>" for any module's error ("kafka: timed_out:
/// metadata for t within 5 s"); a detail of several lines (a configuration's
/// problems) follows on its own lines, indented. CAF's own errors as CAF
/// renders them ("system_error(request_timeout)"); "ok" for no error. What
/// logs and the command line show.
std::string describe(const caf::error& err);

/// Makes `system.render(err)` (CAF's logs, exit reasons) print describe(err)
/// for every category in the table. Call it wherever an
/// actor_system_config is built.
void register_error_categories(caf::actor_system_config& cfg);

} // namespace ds::diag

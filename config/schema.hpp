#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/daemon_config.hpp"

namespace ds::config {

/// How a setting is spelled and checked. `size` is an integer number of
/// bytes that may also be written with a binary unit ("512KiB", "10MiB").
enum class value_kind : uint8_t {
  boolean,
  integer,
  size,
  real,
  string,
  choice,
  string_map,
};

std::string_view to_string(value_kind x) noexcept;

using string_map = std::map<std::string, std::string>;

/// A setting's value while it is parsed, checked and printed: integers and
/// sizes are int64_t, choices their canonical spelling.
using setting_value =
  std::variant<bool, int64_t, double, std::string, string_map>;

/// Reads and writes one field of daemon_config. The loader writes only
/// values it has checked against the setting's kind and limits.
struct binding {
  setting_value (*get)(const daemon_config&) = nullptr;
  void (*set)(daemon_config&, const setting_value&) = nullptr;
  /// The enum's spellings, for choice-valued fields.
  std::span<const std::string_view> choices;
};

/// A string setting's constraint: `accepts` == nullptr means any string.
struct string_rule {
  std::string_view allowed;
  bool (*accepts)(std::string_view) = nullptr;
};

/// One row of the settings table: everything the loader, the printer and
/// the generated reference know about a key.
struct setting {
  /// "section.name", also the TOML path.
  std::string_view key;
  binding access;
  value_kind kind = value_kind::string;
  setting_value default_value;
  /// Extra words about the default, e.g. what "" or 0 stands for.
  std::string_view default_note = {};
  /// Inclusive limits of integer and size settings.
  int64_t min = 0;
  int64_t max = 0;
  /// Inclusive limits of real settings.
  double min_real = 0;
  double max_real = 0;
  string_rule rule = {};
  /// Names the old server read (contract §7) that also set this key; the
  /// DASHSTREAM_* name (env_name()) wins when both are set.
  std::vector<std::string_view> legacy_env = {};
  /// Printed as "***"; never echoed in error messages.
  bool secret = false;
  /// One line, for the reference and the example file.
  std::string_view description = {};
};

/// The sections in table order.
std::span<const std::string_view> sections() noexcept;

/// Every setting, grouped by section in sections() order.
std::span<const setting> settings() noexcept;

/// The row for `key` ("kafka.brokers"), or nullptr.
const setting* find_setting(std::string_view key) noexcept;

/// DASHSTREAM_<SECTION>_<NAME>, e.g. DASHSTREAM_KAFKA_BROKERS.
std::string env_name(const setting& s);

/// env_name(s) followed by s.legacy_env, in precedence order.
std::vector<std::string> env_names(const setting& s);

/// What the key accepts, in words: "an integer from 1 to 1024", "one of
/// earliest, latest", ... Used in error messages and the reference.
std::string allowed_text(const setting& s);

/// True for kafka.properties names whose values are redacted when printed
/// (names containing "password" or "secret", and ssl.key.pem).
bool is_secret_property(std::string_view name) noexcept;

/// kafka.properties names that have a first-class key and are therefore
/// rejected in kafka.properties; returns that key, or nullopt.
std::optional<std::string_view>
first_class_key_for_property(std::string_view name) noexcept;

/// Parses "512KiB", "10 MiB", "1GiB", "4096" or "4096B" (units are binary
/// and case-insensitive). nullopt for anything else, negative numbers and
/// overflow.
std::optional<int64_t> parse_size(std::string_view text) noexcept;

/// The shortest exact spelling: "10MiB", "512KiB", or "1000" when no unit
/// divides the value.
std::string format_size(int64_t bytes);

} // namespace ds::config

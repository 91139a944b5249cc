#include "tools/workload/mix.hpp"

#include <charconv>

#include "tools/workload/errc.hpp"

namespace ds::workload {

namespace {

constexpr std::array<std::string_view, message_kind_count> kind_names{
  "event", "batch",      "state_diff", "token_chunk", "metrics",
  "tool",  "checkpoint", "error",      "trace",
};

constexpr uint32_t max_weight = 1'000'000;

std::string known_kinds() {
  std::string result;
  for (auto name : kind_names) {
    if (!result.empty()) {
      result += ", ";
    }
    result += name;
  }
  return result;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

} // namespace

std::string_view to_string(message_kind x) noexcept {
  auto i = static_cast<std::size_t>(x);
  return i < kind_names.size() ? kind_names[i] : "unknown";
}

std::optional<message_kind> parse_message_kind(std::string_view name) {
  for (std::size_t i = 0; i < kind_names.size(); ++i) {
    if (kind_names[i] == name) {
      return static_cast<message_kind>(i);
    }
  }
  return std::nullopt;
}

uint64_t mix::total() const noexcept {
  uint64_t sum = 0;
  for (auto w : weights) {
    sum += w;
  }
  return sum;
}

message_kind mix::pick(uint64_t draw) const noexcept {
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (draw < weights[i]) {
      return static_cast<message_kind>(i);
    }
    draw -= weights[i];
  }
  // Only reachable with draw >= total(): clamp to the last weighted kind.
  for (std::size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) {
      return static_cast<message_kind>(i);
    }
  }
  return message_kind::event;
}

std::string mix::to_spec() const {
  std::string result;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) {
      continue;
    }
    if (!result.empty()) {
      result += ',';
    }
    result += kind_names[i];
    result += ':';
    result += std::to_string(weights[i]);
  }
  return result;
}

caf::expected<mix> parse_mix(std::string_view spec) {
  mix result;
  std::array<bool, message_kind_count> seen{};
  if (trim(spec).empty()) {
    return make_error(errc::invalid_mix,
                      "empty mix; expected kind:weight pairs such as " +
                        std::string{default_mix_spec});
  }
  for (bool more = true; more;) {
    auto comma = spec.find(',');
    auto item = trim(spec.substr(0, comma));
    more = comma != std::string_view::npos;
    spec = more ? spec.substr(comma + 1) : std::string_view{};
    auto colon = item.find(':');
    if (item.empty() || colon == std::string_view::npos) {
      return make_error(errc::invalid_mix,
                        "'" + std::string{item} +
                          "' is not kind:weight (e.g. event:50)");
    }
    auto name = trim(item.substr(0, colon));
    auto digits = trim(item.substr(colon + 1));
    auto kind = parse_message_kind(name);
    if (!kind) {
      return make_error(errc::invalid_mix,
                        "unknown kind '" + std::string{name} +
                          "'; known kinds: " + known_kinds());
    }
    auto idx = static_cast<std::size_t>(*kind);
    if (seen[idx]) {
      return make_error(errc::invalid_mix,
                        "kind '" + std::string{name} + "' appears twice");
    }
    seen[idx] = true;
    uint64_t weight = 0;
    auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), weight);
    if (digits.empty() || ec != std::errc{} ||
        end != digits.data() + digits.size() || weight > max_weight) {
      return make_error(
        errc::invalid_mix,
        "weight '" + std::string{digits} + "' of kind '" + std::string{name} +
          "' is not an integer between 0 and " + std::to_string(max_weight));
    }
    result.weights[idx] = static_cast<uint32_t>(weight);
  }
  if (result.total() == 0) {
    return make_error(errc::invalid_mix, "every weight is zero");
  }
  return result;
}

} // namespace ds::workload

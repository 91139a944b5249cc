#include "config/toml_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

namespace ds::config {

std::string toml_quote(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        result += "\\\"";
        break;
      case '\\':
        result += "\\\\";
        break;
      case '\b':
        result += "\\b";
        break;
      case '\t':
        result += "\\t";
        break;
      case '\n':
        result += "\\n";
        break;
      case '\f':
        result += "\\f";
        break;
      case '\r':
        result += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          std::array<char, 8> buf;
          std::snprintf(buf.data(), buf.size(), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          result += buf.data();
        } else {
          result += c;
        }
    }
  }
  result += '"';
  return result;
}

std::string toml_key(std::string_view name) {
  auto bare = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  if (!name.empty() && std::all_of(name.begin(), name.end(), bare)) {
    return std::string{name};
  }
  return toml_quote(name);
}

std::string toml_real(double x) {
  std::array<char, 64> buf;
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  std::string result(buf.data(), res.ptr);
  if (result.find_first_of(".eEn") == std::string::npos) {
    result += ".0";
  }
  return result;
}

std::string toml_value(const setting& s, const setting_value& value,
                       bool redact_secrets) {
  switch (s.kind) {
    case value_kind::boolean:
      return std::get<bool>(value) ? "true" : "false";
    case value_kind::integer:
      return std::to_string(std::get<int64_t>(value));
    case value_kind::size: {
      auto text = format_size(std::get<int64_t>(value));
      bool has_unit = !text.empty() && (text.back() < '0' || text.back() > '9');
      return has_unit ? toml_quote(text) : text;
    }
    case value_kind::real:
      return toml_real(std::get<double>(value));
    case value_kind::string:
    case value_kind::choice: {
      const auto& text = std::get<std::string>(value);
      return redact_secrets && s.secret && !text.empty() ? toml_quote("***")
                                                         : toml_quote(text);
    }
    case value_kind::string_map: {
      const auto& entries = std::get<string_map>(value);
      if (entries.empty()) {
        return "{}";
      }
      std::string result = "{ ";
      bool first = true;
      for (const auto& [name, text] : entries) {
        result += first ? "" : ", ";
        first = false;
        result += toml_key(name) + " = ";
        result += toml_quote(redact_secrets && is_secret_property(name)
                               ? std::string_view{"***"}
                               : std::string_view{text});
      }
      return result + " }";
    }
  }
  return {};
}

} // namespace ds::config

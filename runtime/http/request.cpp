#include "runtime/http/request.hpp"

#include <algorithm>
#include <cctype>

#include "runtime/http/target.hpp"

namespace ds::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

} // namespace

std::optional<std::string_view> request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      return std::string_view{value};
    }
  }
  return std::nullopt;
}

std::optional<std::string> request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    rest =
      amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) {
      continue;
    }
    if (eq == std::string_view::npos) {
      return std::string{};
    }
    return percent_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

} // namespace ds::http

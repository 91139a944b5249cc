#include "runtime/http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <utility>

#include "runtime/http/errc.hpp"
#include "runtime/http/target.hpp"

namespace ds::http {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 11>
  content_types{{
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
  }};

caf::error unsafe(std::string_view why) {
  return make_error(errc::unsafe_path, std::string{why});
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

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// True if `file` is `root` or below it, comparing whole path components.
bool is_under(const fs::path& root, const fs::path& file) {
  auto [r, f] =
    std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return r == root.end();
}

} // namespace

std::string_view content_type_for(const fs::path& file) {
  auto ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  for (const auto& [suffix, type] : content_types) {
    if (ext == suffix) {
      return type;
    }
  }
  return "application/octet-stream";
}

caf::expected<fs::path> safe_relative_path(std::string_view encoded_rest) {
  auto decoded = percent_decode(encoded_rest);
  if (!decoded) {
    return unsafe("malformed percent-encoding");
  }
  const std::string& rest = *decoded;
  if (rest.find('\0') != std::string::npos) {
    return unsafe("NUL in path");
  }
  if (rest.find('\\') != std::string::npos) {
    return unsafe("backslash in path");
  }
  if (!rest.empty() && rest.front() == '/') {
    return unsafe("absolute path");
  }
  fs::path result;
  std::string_view left = rest;
  while (!left.empty()) {
    auto slash = left.find('/');
    auto segment = left.substr(0, slash);
    if (segment.empty()) {
      return unsafe("empty path segment");
    }
    if (segment.front() == '.') {
      return unsafe("path segment starts with '.'");
    }
    result /= fs::path{std::string{segment}};
    if (slash == std::string_view::npos) {
      return result;
    }
    left = left.substr(slash + 1);
  }
  // "" or a trailing '/': the directory's index.
  return result / "index.html";
}

caf::expected<static_file> load_static_file(const fs::path& root,
                                            std::string_view encoded_rest,
                                            bool gzip_ok) {
  auto rel = safe_relative_path(encoded_rest);
  if (!rel) {
    return std::move(rel.error());
  }
  std::error_code ec;
  auto candidate = root / *rel;
  if (fs::is_directory(candidate, ec)) {
    candidate /= "index.html";
  }
  auto file = fs::canonical(candidate, ec);
  if (ec || !fs::is_regular_file(file, ec)) {
    return make_error(errc::file_not_found, rel->string());
  }
  if (!is_under(root, file)) {
    return unsafe("path leaves the directory through a link");
  }
  static_file out;
  out.content_type = std::string{content_type_for(file)};
  out.immutable = !rel->empty() && *rel->begin() == "assets";
  auto body_file = file;
  if (gzip_ok) {
    auto gz = fs::canonical(fs::path{file} += ".gz", ec);
    if (!ec && fs::is_regular_file(gz, ec) && is_under(root, gz)) {
      body_file = gz;
      out.content_encoding = "gzip";
    }
  }
  auto size = fs::file_size(body_file, ec);
  if (ec || size > max_static_file_bytes) {
    return make_error(errc::file_unreadable,
                      rel->string() + " is unreadable or too large");
  }
  std::ifstream in{body_file, std::ios::binary};
  if (!in) {
    return make_error(errc::file_unreadable, rel->string());
  }
  out.body.assign(std::istreambuf_iterator<char>{in},
                  std::istreambuf_iterator<char>{});
  if (in.bad()) {
    return make_error(errc::file_unreadable, rel->string());
  }
  return out;
}

bool accepts_gzip(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{}
                                            : value.substr(comma + 1);
    auto semi = item.find(';');
    auto coding = trim(item.substr(0, semi));
    if (!iequals(coding, "gzip") && coding != "*") {
      continue;
    }
    if (semi == std::string_view::npos) {
      return true;
    }
    // "q=0", "q=0.0", "q=0.000" refuse; anything else accepts.
    auto param = trim(item.substr(semi + 1));
    if (param.size() < 2 ||
        std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=') {
      return true;
    }
    auto q = param.substr(2);
    bool zero = !q.empty() && q[0] == '0' &&
                q.find_first_not_of("0.", 1) == std::string_view::npos;
    if (!zero) {
      return true;
    }
  }
  return false;
}

} // namespace ds::http

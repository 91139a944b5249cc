#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config/toml_format.hpp"
#include "diag/errc.hpp"

// print --effective and check: what `dashstream config` shows a user.

namespace ds::config {

namespace {

/// Lines of one TOML table with their comments lined up.
class table_writer {
public:
  void add(std::string assignment, std::string comment) {
    lines_.emplace_back(std::move(assignment), std::move(comment));
  }

  void write_to(std::string& out) const {
    // Long values (big property strings) do not push every comment right.
    constexpr size_t max_column = 48;
    size_t column = 0;
    for (const auto& line : lines_) {
      if (line.first.size() <= max_column) {
        column = std::max(column, line.first.size());
      }
    }
    for (const auto& [assignment, comment] : lines_) {
      out += assignment;
      out.append(column > assignment.size() ? column - assignment.size() : 0,
                 ' ');
      out += "  # ";
      out += comment;
      out += '\n';
    }
  }

private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

std::string_view section_of(std::string_view key) {
  return key.substr(0, key.find('.'));
}

std::string_view name_of(std::string_view key) {
  return key.substr(key.find('.') + 1);
}

} // namespace

std::string print_effective(const loaded_config& cfg) {
  std::string out =
    "# DashStream effective configuration: every key, each with where its\n"
    "# value came from. Precedence: flag > environment > file > default.\n"
    "# Secrets are shown as \"***\".\n";
  if (cfg.file) {
    out += "# File: " + cfg.file->string() + "\n";
  }
  for (const auto& warning : cfg.warnings) {
    out += "# warning: " + warning + "\n";
  }
  auto rows = settings();
  for (size_t i = 0; i < rows.size();) {
    auto section = section_of(rows[i].key);
    out += "\n[" + std::string{section} + "]\n";
    table_writer plain;
    table_writer properties;
    for (; i < rows.size() && section_of(rows[i].key) == section; ++i) {
      const auto& s = rows[i];
      auto value = s.access.get(cfg.config);
      if (s.kind == value_kind::string_map) {
        for (const auto& [name, text] : std::get<string_map>(value)) {
          bool redact = !text.empty() && is_secret_property(name);
          properties.add(
            toml_key(name) + " = " +
              toml_quote(redact ? std::string{"***"} : text),
            to_string(cfg.source_of(std::string{s.key} + "." + name)));
        }
        continue;
      }
      const auto& source = cfg.source_of(s.key);
      auto comment = to_string(source);
      if (source.kind == source_kind::default_value &&
          !s.default_note.empty()) {
        comment += " (" + std::string{s.default_note} + ")";
      }
      plain.add(std::string{name_of(s.key)} + " = " + toml_value(s, value),
                std::move(comment));
    }
    plain.write_to(out);
    std::string props_out;
    properties.write_to(props_out);
    if (!props_out.empty()) {
      out += "\n[" + std::string{section} + ".properties]\n" + props_out;
    }
  }
  return out;
}

check_result check(const load_request& req) {
  auto cfg = load_with_sources(req);
  if (!cfg) {
    auto detail = diag::error_detail(cfg.error());
    auto count = std::count(detail.begin(), detail.end(), '\n') + 1;
    std::string report = "configuration is invalid (" + std::to_string(count) +
                         (count == 1 ? " problem" : " problems") + "):\n";
    size_t start = 0;
    while (start <= detail.size()) {
      auto end = std::min(detail.find('\n', start), detail.size());
      report += "  " + detail.substr(start, end - start) + "\n";
      start = end + 1;
    }
    report += "Every key, its allowed values and its environment variables: "
              "docs/configuration.md\n";
    return {false, std::move(report)};
  }
  std::array<size_t, 4> counts{};
  for (const auto& [key, source] : cfg->sources) {
    ++counts[static_cast<size_t>(source.kind)];
  }
  std::string report = "configuration OK";
  report += cfg->file ? ": " + cfg->file->string() : " (no file)";
  report += "\n  " + std::to_string(cfg->sources.size()) +
            " values: " + std::to_string(counts[0]) + " default, " +
            std::to_string(counts[1]) + " from the file, " +
            std::to_string(counts[2]) + " from the environment, " +
            std::to_string(counts[3]) + " from flags\n";
  for (const auto& warning : cfg->warnings) {
    report += "warning: " + warning + "\n";
  }
  return {true, std::move(report)};
}

} // namespace ds::config

#include "config/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <utility>
#include <variant>

#include <toml++/toml.h>

#include "config/schema.hpp"
#include "config/toml_format.hpp"

extern char** environ; // POSIX; declared by no standard header.

namespace ds::config {

namespace {

constexpr std::string_view properties_key = "kafka.properties";
constexpr std::string_view properties_prefix = "kafka.properties.";
constexpr std::string_view env_prefix = "DASHSTREAM_";

// -- small text helpers -----------------------------------------------------

char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

char ascii_upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view x, std::string_view y) noexcept {
  return x.size() == y.size() &&
         std::equal(x.begin(), x.end(), y.begin(), [](char a, char b) {
           return ascii_lower(a) == ascii_lower(b);
         });
}

std::string_view trim(std::string_view x) noexcept {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!x.empty() && space(x.front())) {
    x.remove_prefix(1);
  }
  while (!x.empty() && space(x.back())) {
    x.remove_suffix(1);
  }
  return x;
}

std::string join(const std::vector<std::string>& xs, std::string_view sep) {
  std::string result;
  for (size_t i = 0; i < xs.size(); ++i) {
    result += i == 0 ? "" : sep;
    result += xs[i];
  }
  return result;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// The candidate closest to `x`, if it is close enough to be a typo.
std::optional<std::string> closest(std::string_view x,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, x.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    // The distance is at least the difference in length: a long unknown
    // key need not be compared letter by letter with every short one
    // (that was most of config_toml_fuzz's time).
    auto gap = x.size() > candidate.size() ? x.size() - candidate.size()
                                           : candidate.size() - x.size();
    if (gap >= best_distance) {
      continue;
    }
    auto d = edit_distance(x, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::vector<std::string> all_keys() {
  std::vector<std::string> result;
  for (const auto& s : settings()) {
    result.emplace_back(s.key);
  }
  return result;
}

std::vector<std::string> keys_of_section(std::string_view section) {
  std::vector<std::string> result;
  for (const auto& s : settings()) {
    if (s.key.substr(0, s.key.find('.')) == section) {
      result.emplace_back(s.key.substr(s.key.find('.') + 1));
    }
  }
  return result;
}

bool is_section(std::string_view name) {
  auto xs = sections();
  return std::find(xs.begin(), xs.end(), name) != xs.end();
}

std::string section_list() {
  std::vector<std::string> xs(sections().begin(), sections().end());
  return join(xs, ", ");
}

std::string unknown_key_text(std::string_view where, std::string_view key) {
  std::string text{where};
  text += ": unknown key ";
  text += key;
  if (auto hint = closest(key, all_keys())) {
    return text + "; did you mean " + *hint + "?";
  }
  auto dot = key.find('.');
  auto section = key.substr(0, dot);
  if (dot != std::string_view::npos && is_section(section)) {
    return text + "; keys of [" + std::string{section} +
           "]: " + join(keys_of_section(section), ", ");
  }
  return text + "; sections: " + section_list();
}

// -- parsing and checking one value ----------------------------------------

struct failure {
  errc code;
  std::string reason;
};

using parsed = std::variant<setting_value, failure>;

std::optional<std::string> match_choice(const setting& s,
                                        std::string_view text) {
  for (auto name : s.access.choices) {
    if (iequals(name, text)) {
      return std::string{name};
    }
  }
  return std::nullopt;
}

/// Problems of a value that has the right kind.
std::optional<failure> check_value(const setting& s, const setting_value& v) {
  switch (s.kind) {
    case value_kind::integer:
    case value_kind::size: {
      auto x = std::get<int64_t>(v);
      if (x < s.min || x > s.max) {
        return failure{errc::out_of_range, "out of range"};
      }
      return std::nullopt;
    }
    case value_kind::real: {
      auto x = std::get<double>(v);
      if (!(x >= s.min_real && x <= s.max_real)) {
        return failure{errc::out_of_range, "out of range"};
      }
      return std::nullopt;
    }
    case value_kind::string:
      if (s.rule.accepts && !s.rule.accepts(std::get<std::string>(v))) {
        return failure{errc::invalid_value, "not allowed"};
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

/// Why `name` cannot go into kafka.properties, if it cannot.
std::optional<std::string> property_name_problem(std::string_view name) {
  if (name.empty()) {
    return "a property name is empty";
  }
  if (auto key = first_class_key_for_property(name)) {
    return "property \"" + std::string{name} + "\" has its own key; set " +
           std::string{*key} + " instead";
  }
  return std::nullopt;
}

std::string node_text(const toml::node& node) {
  if (node.is_table()) {
    return "a table";
  }
  if (node.is_array()) {
    return "an array";
  }
  if (const auto* str = node.as_string()) {
    // toml++ prints 'literal' strings; messages use one quoting style.
    return toml_quote(str->get());
  }
  std::ostringstream out;
  node.visit([&out](const auto& x) { out << x; });
  return out.str();
}

std::string node_type(const toml::node& node) {
  std::ostringstream out;
  out << node.type();
  return out.str();
}

std::string file_where(const std::string& origin,
                       const toml::source_region& region) {
  return origin + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

/// One scalar TOML value for `s` (not kafka.properties).
parsed parse_node(const setting& s, const toml::node& node) {
  auto mismatch = [&node] {
    return failure{errc::type_mismatch, "wrong type (" + node_type(node) + ")"};
  };
  switch (s.kind) {
    case value_kind::boolean:
      if (auto x = node.as_boolean()) {
        return setting_value{x->get()};
      }
      return mismatch();
    case value_kind::integer:
      if (auto x = node.as_integer()) {
        return setting_value{x->get()};
      }
      return mismatch();
    case value_kind::size:
      if (auto x = node.as_integer()) {
        return setting_value{x->get()};
      }
      if (auto x = node.as_string()) {
        if (auto bytes = parse_size(x->get())) {
          return setting_value{*bytes};
        }
        return failure{errc::invalid_value, "not a size"};
      }
      return mismatch();
    case value_kind::real:
      if (auto x = node.as_floating_point()) {
        return setting_value{x->get()};
      }
      if (auto x = node.as_integer()) {
        return setting_value{static_cast<double>(x->get())};
      }
      return mismatch();
    case value_kind::string:
      if (auto x = node.as_string()) {
        return setting_value{x->get()};
      }
      return mismatch();
    case value_kind::choice:
      if (auto x = node.as_string()) {
        if (auto name = match_choice(s, x->get())) {
          return setting_value{*name};
        }
        return failure{errc::invalid_value, "not a valid choice"};
      }
      return mismatch();
    case value_kind::string_map:
      break;
  }
  return mismatch();
}

/// A value from the environment or a flag (not kafka.properties).
parsed parse_text(const setting& s, std::string_view text) {
  switch (s.kind) {
    case value_kind::boolean: {
      auto x = trim(text);
      for (auto yes : {"true", "1", "yes"}) {
        if (iequals(x, yes)) {
          return setting_value{true};
        }
      }
      for (auto no : {"false", "0", "no"}) {
        if (iequals(x, no)) {
          return setting_value{false};
        }
      }
      return failure{errc::invalid_value,
                     "not a boolean (true/false/1/0/yes/no)"};
    }
    case value_kind::integer: {
      auto x = trim(text);
      int64_t result = 0;
      auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), result);
      if (ec == std::errc::result_out_of_range) {
        return failure{errc::out_of_range, "out of range"};
      }
      if (x.empty() || ec != std::errc{} || end != x.data() + x.size()) {
        return failure{errc::invalid_value, "not an integer"};
      }
      return setting_value{result};
    }
    case value_kind::size: {
      auto x = trim(text);
      if (auto bytes = parse_size(x)) {
        return setting_value{*bytes};
      }
      // A negative number is a size out of range, not a malformed one.
      int64_t number = 0;
      auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), number);
      if (!x.empty() && ec == std::errc{} && end == x.data() + x.size()) {
        return setting_value{number};
      }
      return failure{errc::invalid_value, "not a size"};
    }
    case value_kind::real: {
      auto x = trim(text);
      double result = 0;
      auto [end, ec] = std::from_chars(x.data(), x.data() + x.size(), result);
      if (x.empty() || ec != std::errc{} || end != x.data() + x.size()) {
        return failure{errc::invalid_value, "not a number"};
      }
      return setting_value{result};
    }
    case value_kind::string:
      return setting_value{std::string{text}};
    case value_kind::choice:
      if (auto name = match_choice(s, trim(text))) {
        return setting_value{*name};
      }
      return failure{errc::invalid_value, "not a valid choice"};
    case value_kind::string_map:
      break;
  }
  return failure{errc::invalid_value, "cannot be set from text"};
}

/// The message for a rejected value: where, key, value, why, allowed.
std::string value_problem(std::string_view where, const setting& s,
                          std::string_view shown, const failure& f) {
  std::string text{where};
  text += ": ";
  text += s.key;
  text += " = ";
  text += s.secret ? std::string_view{"\"***\""} : shown;
  text += ": ";
  text += f.reason;
  text += "; allowed: ";
  text += allowed_text(s);
  return text;
}

/// Flattens a (possibly nested, via unquoted dotted keys) TOML table of
/// librdkafka properties into name -> node.
void flatten(const toml::table& table, const std::string& prefix,
             std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [key, node] : table) {
    auto name = prefix + std::string{key.str()};
    if (const auto* nested = node.as_table()) {
      flatten(*nested, name + ".", out);
    } else {
      out.emplace_back(name, &node);
    }
  }
}

std::string first_line(std::string_view text) {
  return std::string{text.substr(0, text.find('\n'))};
}

} // namespace

// -- value_source, environment, flags --------------------------------------

std::string to_string(const value_source& x) {
  switch (x.kind) {
    case source_kind::default_value:
      return "default";
    case source_kind::file:
      return "file " + x.where;
    case source_kind::env:
      return "env " + x.where;
    case source_kind::flag:
      return "flag " + x.where;
  }
  return "unknown";
}

environment environment::process() {
  environment result;
  result.lookup = [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str())) {
      return std::string{value};
    }
    return std::nullopt;
  };
  result.names = [] {
    std::vector<std::string> out;
    for (char** entry = environ; entry != nullptr && *entry != nullptr;
         ++entry) {
      std::string_view text{*entry};
      out.emplace_back(text.substr(0, text.find('=')));
    }
    return out;
  };
  return result;
}

environment environment::from_map(std::map<std::string, std::string> vars) {
  auto shared =
    std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
  environment result;
  result.lookup =
    [shared](const std::string& name) -> std::optional<std::string> {
    if (auto i = shared->find(name); i != shared->end()) {
      return i->second;
    }
    return std::nullopt;
  };
  result.names = [shared] {
    std::vector<std::string> out;
    for (const auto& entry : *shared) {
      out.push_back(entry.first);
    }
    return out;
  };
  return result;
}

caf::expected<flag_override> parse_set_flag(std::string_view arg) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos || trim(arg.substr(0, eq)).empty()) {
    return make_error(errc::invalid_value,
                      "flag --set: expected KEY=VALUE, got \"" +
                        std::string{arg} + "\"");
  }
  return flag_override{std::string{trim(arg.substr(0, eq))},
                       std::string{arg.substr(eq + 1)}, "--set"};
}

const value_source& loaded_config::source_of(std::string_view key) const {
  static const value_source fallback;
  auto i = sources.find(key);
  return i == sources.end() ? fallback : i->second;
}

// -- loader -----------------------------------------------------------------

loader::loader() {
  for (const auto& s : settings()) {
    result_.sources.emplace(std::string{s.key}, value_source{});
  }
}

caf::error loader::record(std::vector<problem> found) {
  if (found.empty()) {
    return {};
  }
  std::vector<std::string> lines;
  lines.reserve(found.size());
  for (const auto& p : found) {
    lines.push_back(p.text);
  }
  auto code = found.front().code;
  problems_.insert(problems_.end(), std::make_move_iterator(found.begin()),
                   std::make_move_iterator(found.end()));
  return make_error(code, join(lines, "\n"));
}

caf::error loader::apply_file(const std::filesystem::path& path) {
  std::string text;
  std::string why;
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec) {
    why = ec.message();
  } else if (!std::filesystem::is_regular_file(status)) {
    why = "not a regular file";
  } else if (std::ifstream in{path, std::ios::binary}; !in) {
    why = std::strerror(errno);
  } else {
    text.assign(std::istreambuf_iterator<char>{in},
                std::istreambuf_iterator<char>{});
    if (in.bad()) {
      why = "read error";
    }
  }
  if (!why.empty()) {
    return record(
      {{errc::file_unreadable,
        path.string() + ": cannot read the configuration file: " + why}});
  }
  auto err = apply_toml(text, path.string());
  if (!err) {
    result_.file = path;
  }
  return err;
}

caf::error loader::apply_toml(std::string_view text,
                              const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return record({{errc::parse_error,
                    file_where(origin, e.source()) +
                      ": not valid TOML: " + first_line(e.description())}});
  }
  struct located {
    toml::source_position at;
    problem p;
  };
  std::vector<located> found;
  auto add = [&found, &origin](const toml::source_region& region, errc code,
                               const std::string& what) {
    found.push_back({region.begin, {code, file_where(origin, region) + what}});
  };
  auto source_at = [&origin](const toml::node& node) {
    return value_source{source_kind::file,
                        origin + ":" +
                          std::to_string(node.source().begin.line)};
  };
  for (const auto& [section_key, section_node] : doc) {
    std::string section{section_key.str()};
    if (!is_section(section)) {
      if (!section_node.is_table()) {
        // `brokers = "x"` at the top: the key is fine, its place is not.
        std::vector<std::string> homes;
        for (const auto& s : settings()) {
          if (s.key.substr(s.key.find('.') + 1) == section) {
            homes.emplace_back(s.key);
          }
        }
        auto hint = homes.empty() ? closest(section, all_keys())
                                  : std::optional{homes.front()};
        add(section_key.source(), errc::unknown_key,
            ": unknown key " + section +
              " at the top level; every key belongs to a section (" +
              section_list() + ")" +
              (hint ? "; did you mean " + *hint + "?" : ""));
        continue;
      }
      std::vector<std::string> names(sections().begin(), sections().end());
      auto hint = closest(section, names);
      add(section_key.source(), errc::unknown_key,
          ": unknown section [" + section + "]" +
            (hint ? "; did you mean [" + *hint + "]?" : "") +
            " sections: " + section_list());
      continue;
    }
    const auto* table = section_node.as_table();
    if (table == nullptr) {
      add(section_node.source(), errc::type_mismatch,
          ": " + section + " = " + node_text(section_node) + ": wrong type (" +
            node_type(section_node) + "); allowed: a table, written [" +
            section + "]");
      continue;
    }
    for (const auto& [name_key, node] : *table) {
      auto key = section + "." + std::string{name_key.str()};
      const auto* s = find_setting(key);
      if (s == nullptr) {
        found.push_back(
          {name_key.source().begin,
           {errc::unknown_key,
            unknown_key_text(file_where(origin, name_key.source()), key)}});
        continue;
      }
      if (s->kind == value_kind::string_map) {
        const auto* props = node.as_table();
        if (props == nullptr) {
          add(node.source(), errc::type_mismatch,
              ": " + key + " = " + node_text(node) + ": wrong type (" +
                node_type(node) + "); allowed: " + allowed_text(*s) +
                ", written [" + key + "]");
          continue;
        }
        std::vector<std::pair<std::string, const toml::node*>> entries;
        flatten(*props, "", entries);
        for (const auto& [prop, prop_node] : entries) {
          auto prop_key = key + "." + toml_key(prop);
          if (auto why = property_name_problem(prop)) {
            add(prop_node->source(), errc::invalid_value,
                ": " + prop_key + ": " + *why);
          } else if (const auto* str = prop_node->as_string()) {
            result_.config.kafka.properties[prop] = str->get();
            result_.sources[std::string{properties_prefix} + prop] =
              source_at(*prop_node);
            result_.sources[key] = source_at(*prop_node);
          } else {
            add(
              prop_node->source(), errc::type_mismatch,
              ": " + prop_key + " = " +
                (is_secret_property(prop) ? "\"***\"" : node_text(*prop_node)) +
                ": wrong type (" + node_type(*prop_node) +
                "); allowed: a string (librdkafka takes every "
                "property as text), e.g. \"1048576\"");
          }
        }
        continue;
      }
      auto reject = [&, &node = node](const failure& f) {
        found.push_back(
          {node.source().begin,
           {f.code, value_problem(file_where(origin, node.source()), *s,
                                  node_text(node), f)}});
      };
      auto value = parse_node(*s, node);
      if (const auto* f = std::get_if<failure>(&value)) {
        reject(*f);
        continue;
      }
      auto& v = std::get<setting_value>(value);
      if (auto f = check_value(*s, v)) {
        reject(*f);
        continue;
      }
      s->access.set(result_.config, v);
      result_.sources[key] = source_at(node);
    }
  }
  // toml++ tables iterate in key order; report in the order of the file.
  std::stable_sort(found.begin(), found.end(),
                   [](const located& x, const located& y) {
                     return std::pair{x.at.line, x.at.column} <
                            std::pair{y.at.line, y.at.column};
                   });
  std::vector<problem> problems;
  problems.reserve(found.size());
  for (auto& x : found) {
    problems.push_back(std::move(x.p));
  }
  return record(std::move(problems));
}

void loader::apply_text(std::string_view key, std::string_view text,
                        const value_source& source,
                        std::vector<problem>& found) {
  auto where = to_string(source);
  auto set_property = [&](const std::string& name, std::string value) {
    if (auto why = property_name_problem(name)) {
      found.push_back(
        {errc::invalid_value, where + ": " + std::string{properties_key} + "." +
                                toml_key(name) + ": " + *why});
      return;
    }
    result_.config.kafka.properties[name] = std::move(value);
    result_.sources[std::string{properties_prefix} + name] = source;
    result_.sources[std::string{properties_key}] = source;
  };
  if (key.starts_with(properties_prefix)) {
    set_property(std::string{key.substr(properties_prefix.size())},
                 std::string{text});
    return;
  }
  const auto* s = find_setting(key);
  if (s == nullptr) {
    found.push_back({errc::unknown_key, unknown_key_text(where, key)});
    return;
  }
  if (s->kind == value_kind::string_map) {
    // The same syntax as in the file: an inline table.
    toml::table doc;
    try {
      doc = toml::parse("properties = " + std::string{text}, where);
    } catch (const toml::parse_error& e) {
      found.push_back({errc::invalid_value,
                       where + ": " + std::string{key} + " = " +
                         toml_quote(text) + ": not a TOML inline table (" +
                         first_line(e.description()) +
                         "); allowed: " + allowed_text(*s) +
                         ", written { \"name\" = \"value\", ... }"});
      return;
    }
    const auto* props = doc["properties"].as_table();
    if (props == nullptr) {
      found.push_back(
        {errc::type_mismatch, where + ": " + std::string{key} + " = " +
                                toml_quote(text) +
                                ": not a table; allowed: " + allowed_text(*s) +
                                ", written { \"name\" = \"value\", ... }"});
      return;
    }
    std::vector<std::pair<std::string, const toml::node*>> entries;
    flatten(*props, "", entries);
    for (const auto& [name, node] : entries) {
      if (const auto* str = node->as_string()) {
        set_property(name, str->get());
      } else {
        found.push_back(
          {errc::type_mismatch, where + ": " + std::string{key} + "." +
                                  toml_key(name) + ": wrong type (" +
                                  node_type(*node) + "); allowed: a string"});
      }
    }
    return;
  }
  auto value = parse_text(*s, text);
  if (const auto* f = std::get_if<failure>(&value)) {
    found.push_back({f->code, value_problem(where, *s, toml_quote(text), *f)});
    return;
  }
  auto& v = std::get<setting_value>(value);
  if (auto f = check_value(*s, v)) {
    found.push_back({f->code, value_problem(where, *s, toml_quote(text), *f)});
    return;
  }
  s->access.set(result_.config, v);
  result_.sources[std::string{key}] = source;
}

caf::error loader::apply_environment(const environment& env) {
  if (!env.lookup) {
    return {};
  }
  std::vector<problem> found;
  std::vector<std::string> known;
  for (const auto& s : settings()) {
    std::optional<std::pair<std::string, std::string>> chosen;
    for (auto& name : env_names(s)) {
      known.push_back(name);
      auto value = env.lookup(name);
      if (!value) {
        continue;
      }
      if (!chosen) {
        chosen.emplace(name, std::move(*value));
      } else if (*value != chosen->second) {
        result_.warnings.push_back(name + " is ignored: " + chosen->first +
                                   " also sets " + std::string{s.key} +
                                   " and wins");
      }
    }
    if (chosen) {
      apply_text(s.key, chosen->second,
                 value_source{source_kind::env, chosen->first}, found);
    }
  }
  if (env.names) {
    // DASHSTREAM_<SECTION>_* is ours, so a name we do not know there is a
    // typo worth stopping for. Other DASHSTREAM_* names (DASHSTREAM_CONFIG,
    // DASHSTREAM_CACHE of the scripts) are left alone.
    auto names = env.names();
    std::sort(names.begin(), names.end());
    std::vector<std::string> ours;
    for (const auto& name : known) {
      if (name.starts_with(env_prefix)) {
        ours.push_back(name);
      }
    }
    for (const auto& name : names) {
      if (!name.starts_with(env_prefix) ||
          std::find(known.begin(), known.end(), name) != known.end()) {
        continue;
      }
      auto rest = std::string_view{name}.substr(env_prefix.size());
      bool in_section = false;
      for (auto section : sections()) {
        std::string upper;
        for (char c : section) {
          upper += ascii_upper(c);
        }
        upper += '_';
        in_section = in_section || rest.starts_with(upper);
      }
      if (!in_section) {
        continue;
      }
      auto hint = closest(name, ours);
      found.push_back(
        {errc::unknown_key, "env " + name + ": unknown variable" +
                              (hint ? "; did you mean " + *hint + "?"
                                    : "; every key K.N is set by "
                                      "DASHSTREAM_K_N (see "
                                      "docs/configuration.md)")});
    }
  }
  return record(std::move(found));
}

caf::error loader::apply_override(std::string_view key, std::string_view value,
                                  const value_source& source) {
  std::vector<problem> found;
  apply_text(trim(key), value, source, found);
  return record(std::move(found));
}

caf::expected<loaded_config> loader::finish() const {
  auto result = result_;
  auto problems = problems_;
  auto& cfg = result.config;
  auto shown = [&result](std::string_view key, const std::string& value) {
    return std::string{key} + " = " + value + " (" +
           to_string(result.source_of(key)) + ")";
  };
  // -- derived defaults
  if (result.source_of("pipeline.partition_inflight_low_water").kind ==
      source_kind::default_value) {
    cfg.pipeline.partition_inflight_low_water =
      cfg.pipeline.partition_inflight_max / 2;
  }
  if (result.source_of("tracing.batch_max_spans").kind ==
        source_kind::default_value &&
      cfg.tracing.batch_max_spans > cfg.tracing.queue_max_spans) {
    cfg.tracing.batch_max_spans = cfg.tracing.queue_max_spans;
  }
  // -- cross-field checks
  if (cfg.pipeline.partition_inflight_low_water >=
      cfg.pipeline.partition_inflight_max) {
    problems.push_back(
      {errc::conflicting_values,
       shown("pipeline.partition_inflight_low_water",
             std::to_string(cfg.pipeline.partition_inflight_low_water)) +
         " must be less than " +
         shown("pipeline.partition_inflight_max",
               std::to_string(cfg.pipeline.partition_inflight_max)) +
         "; allowed: 1 to " +
         std::to_string(cfg.pipeline.partition_inflight_max - 1) +
         ", or leave it unset for half of partition_inflight_max"});
  }
  if (cfg.supervision.backoff_initial_ms > cfg.supervision.backoff_max_ms) {
    problems.push_back(
      {errc::conflicting_values,
       shown("supervision.backoff_initial_ms",
             std::to_string(cfg.supervision.backoff_initial_ms)) +
         " must not exceed " +
         shown("supervision.backoff_max_ms",
               std::to_string(cfg.supervision.backoff_max_ms)) +
         "; allowed: 1 to " + std::to_string(cfg.supervision.backoff_max_ms)});
  }
  if (cfg.tracing.batch_max_spans > cfg.tracing.queue_max_spans) {
    problems.push_back({errc::conflicting_values,
                        shown("tracing.batch_max_spans",
                              std::to_string(cfg.tracing.batch_max_spans)) +
                          " must not exceed " +
                          shown("tracing.queue_max_spans",
                                std::to_string(cfg.tracing.queue_max_spans)) +
                          ": a batch is taken from the queue; allowed: 1 to " +
                          std::to_string(cfg.tracing.queue_max_spans)});
  }
  if (effective_dlq_topic(cfg) == cfg.kafka.topic) {
    problems.push_back(
      {errc::conflicting_values,
       shown("dlq.topic", toml_quote(cfg.dlq.topic)) + " must differ from " +
         shown("kafka.topic", toml_quote(cfg.kafka.topic)) +
         ": the daemon would consume its own dead letters; allowed: "
         "another topic, or \"\" for \"<kafka.topic>-dlq\""});
  }
  // auth: one key source at most, and a mode that agrees with it. Whether
  // auth.mode = none is allowed on http.host is the daemon's check.
  {
    const auto& auth = cfg.auth;
    std::vector<std::string> key_sources;
    auto key_source = [&](std::string_view key, const std::string& path) {
      if (!path.empty()) {
        key_sources.push_back(shown(key, toml_quote(path)));
      }
    };
    key_source("auth.hs256_secret_file", auth.hs256_secret_file);
    key_source("auth.public_key_file", auth.public_key_file);
    key_source("auth.jwks_file", auth.jwks_file);
    constexpr std::string_view one_source =
      "auth: set one key source: hs256_secret_file, public_key_file or "
      "jwks_file";
    if (key_sources.size() > 1) {
      problems.push_back(
        {errc::conflicting_values, std::string{one_source} + ", not " +
                                     std::to_string(key_sources.size()) + ": " +
                                     join(key_sources, ", ")});
    }
    if (auth.mode == auth_mode::jwt && key_sources.empty()) {
      problems.push_back(
        {errc::conflicting_values, shown("auth.mode", "\"jwt\"") +
                                     " needs a key to verify tokens with; " +
                                     std::string{one_source}});
    }
    if (auth.mode == auth_mode::none && !key_sources.empty()) {
      problems.push_back(
        {errc::conflicting_values,
         "auth.mode = none but a key is configured: " +
           join(key_sources, ", ") + "; auth.mode comes from " +
           to_string(result.source_of("auth.mode")) +
           "; allowed: remove the key, or auth.mode = \"jwt\" or \"auto\""});
    }
  }
  if (!problems.empty()) {
    std::vector<std::string> lines;
    lines.reserve(problems.size());
    for (const auto& p : problems) {
      lines.push_back(p.text);
    }
    return make_error(problems.front().code, join(lines, "\n"));
  }
  // -- settings that are valid but have no effect
  auto protocol = cfg.kafka.security_protocol;
  bool sasl = protocol == transport_security::sasl_plaintext ||
              protocol == transport_security::sasl_ssl;
  bool ssl = protocol == transport_security::ssl ||
             protocol == transport_security::sasl_ssl;
  auto unused = [&](std::string_view key, bool set, bool used) {
    if (set && !used) {
      result.warnings.push_back(
        std::string{key} + " is set (" + to_string(result.source_of(key)) +
        ") but kafka.security_protocol is " + std::string{to_string(protocol)} +
        ", so it is not used");
    }
  };
  unused("kafka.sasl_mechanism", !cfg.kafka.sasl_mechanism.empty(), sasl);
  unused("kafka.sasl_username", !cfg.kafka.sasl_username.empty(), sasl);
  unused("kafka.sasl_password", !cfg.kafka.sasl_password.empty(), sasl);
  unused("kafka.ssl_ca_location", !cfg.kafka.ssl_ca_location.empty(), ssl);
  unused("kafka.ssl_certificate_location",
         !cfg.kafka.ssl_certificate_location.empty(), ssl);
  unused("kafka.ssl_key_location", !cfg.kafka.ssl_key_location.empty(), ssl);
  return result;
}

// -- the documented order ---------------------------------------------------

caf::expected<loaded_config> load_with_sources(const load_request& req) {
  loader builder;
  auto file = req.file;
  if (!file && req.env.lookup) {
    if (auto path = req.env.lookup("DASHSTREAM_CONFIG");
        path && !path->empty()) {
      file = *path;
    }
  }
  if (file) {
    builder.apply_file(*file);
  }
  builder.apply_environment(req.env);
  for (const auto& flag : req.flags) {
    builder.apply_override(flag.key, flag.value,
                           value_source{source_kind::flag, flag.flag});
  }
  return builder.finish();
}

caf::expected<daemon_config> load(const load_request& req) {
  auto result = load_with_sources(req);
  if (!result) {
    return std::move(result.error());
  }
  return std::move(result->config);
}

} // namespace ds::config

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config/toml_format.hpp"

// docs/configuration.md and config/dashstream.example.toml, both generated
// from the settings table so that neither can drift from the code (a test
// compares the checked-in files with these functions).

namespace ds::config {

namespace {

/// Greedy word wrap; every line starts with `prefix`.
std::string wrap(std::string_view text, std::string_view prefix,
                 size_t width = 79) {
  std::string out;
  std::string line{prefix};
  bool empty_line = true;
  while (!text.empty()) {
    auto space = text.find(' ');
    auto word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{}
                                           : text.substr(space + 1);
    if (word.empty()) {
      continue;
    }
    if (!empty_line && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = prefix;
      empty_line = true;
    }
    if (!empty_line) {
      line += ' ';
    }
    line += word;
    empty_line = false;
  }
  if (!empty_line) {
    out += line + "\n";
  }
  return out;
}

std::string code(std::string_view x) {
  // Appended piecewise: GCC 12 at -O3 reports a false -Wrestrict for
  // "literal" + std::string here, which breaks the release preset.
  std::string out;
  out.reserve(x.size() + 2);
  out += '`';
  out += x;
  out += '`';
  return out;
}

std::string env_list(const setting& s, bool markdown) {
  std::string result;
  for (const auto& name : env_names(s)) {
    result += result.empty() ? "" : ", ";
    result += markdown ? code(name) : name;
  }
  return result;
}

std::string_view section_of(std::string_view key) {
  return key.substr(0, key.find('.'));
}

std::string_view name_of(std::string_view key) {
  return key.substr(key.find('.') + 1);
}

constexpr std::string_view reference_intro = R"(# Configuration reference

<!-- Generated from the settings table (config/schema.cpp) by
     config_doc_gen: `cmake --build <build-dir> --target config_docs`.
     Do not edit by hand; config_test fails when this file and the table
     disagree. -->

`dashstream run` reads one configuration assembled from four layers; for
each key the highest layer that sets it wins:

1. **flags** — `--set key=value` (repeatable) and the direct flags of
   `dashstream run`;
2. **environment** — `DASHSTREAM_<SECTION>_<KEY>` for every key (e.g.
   `DASHSTREAM_KAFKA_BROKERS`), plus the variables of the old server listed
   below;
3. **file** — a TOML file (`DASHSTREAM_CONFIG` names it when no path is
   given); `config/dashstream.example.toml` has every key at its default;
4. **defaults** — below.

Startup stops (exit code 78, `EX_CONFIG`) on an unknown key or section, a
misspelt `DASHSTREAM_<SECTION>_*` variable, a value of the wrong type, a
value outside its range, or settings that contradict each other. The
message names the key, where the value came from (`file:line:column`, the
variable or the flag), the value, and what is allowed; every problem is
listed at once. `dashstream config check` does the same without starting,
and `dashstream config print --effective` shows the merged result with the
source of every value and secrets as `"***"`. A Kafka cluster that refuses
the SASL credentials or the TLS handshake stops startup with exit code 77
(`EX_NOPERM`): `docs/kafka-security.md` has the `kafka.security_protocol`,
`kafka.sasl_*` and `kafka.ssl_*` keys at work.

Every key below does what it says: a test
(`tests/config/schema_usage_test.cpp`) checks that the code reads it.

Value syntax:

- **Sizes** (`*_bytes`) are an integer number of bytes or a string with a
  binary unit: `"512KiB"`, `"10MiB"`, `"1GiB"` (B, KiB, MiB, GiB, TiB; case
  does not matter).
- **Durations** are whole numbers in the unit their name ends with (`_secs`,
  `_ms`).
- **Booleans** are TOML `true`/`false`; the environment and flags also
  accept `1`/`0` and `yes`/`no`.
- **Choices** are case-insensitive strings.
- In the environment and in flags every value is plain text, written as it
  would be inside the quotes: `DASHSTREAM_KAFKA_MAX_PAYLOAD_BYTES=10MiB`.
- `kafka.properties` is a TOML table (`[kafka.properties]`, one
  `"name" = "value"` line per librdkafka property). In the environment,
  `DASHSTREAM_KAFKA_PROPERTIES` holds an inline table
  (`{ "fetch.max.bytes" = "1048576" }`); a flag sets one property with
  `--set kafka.properties.fetch.max.bytes=1048576`. Layers merge property
  by property. Properties that have their own key (`bootstrap.servers`,
  `group.id`, `sasl.password`, ...) are rejected there. Properties whose
  name contains `password` or `secret` are printed as `"***"`.

)";

} // namespace

std::string reference_markdown() {
  std::string out{reference_intro};
  out += "## Environment variables of the old server\n\n"
         "Honoured for compatibility (contract section 7). When a "
         "`DASHSTREAM_*` variable sets the same key, it wins and the old "
         "name is reported as ignored. `OTEL_EXPORTER_OTLP_ENDPOINT` is not "
         "read by the configuration.\n\n"
         "| Variable | Key |\n"
         "|---|---|\n";
  for (const auto& s : settings()) {
    for (auto name : s.legacy_env) {
      out += "| " + code(name) + " | " + code(s.key) + " |\n";
    }
  }
  std::string_view section;
  for (const auto& s : settings()) {
    if (section_of(s.key) != section) {
      section = section_of(s.key);
      out += "\n## [" + std::string{section} + "]\n";
    }
    out += "\n### " + code(s.key) + "\n\n";
    out += std::string{s.description} + "\n\n";
    out += "- Type: " + std::string{to_string(s.kind)} + "\n";
    out += "- Default: " + code(toml_value(s, s.default_value));
    if (!s.default_note.empty()) {
      out += " (" + std::string{s.default_note} + ")";
    }
    out += "\n- Allowed: " + allowed_text(s) + "\n";
    out += "- Environment: " + env_list(s, true);
    if (s.kind == value_kind::string_map) {
      out += " (an inline table)";
    }
    out += "\n";
    if (s.secret) {
      out += "- Secret: printed as `\"***\"`; prefer the environment to the "
             "file.\n";
    }
  }
  return out;
}

std::string example_toml() {
  std::string out =
    "# DashStream daemon configuration: every key at its default.\n"
    "#\n"
    "# Generated from the settings table (config/schema.cpp) by\n"
    "# config_doc_gen; the full reference is docs/configuration.md.\n"
    "# Copy it, keep only what you change, and check the result with\n"
    "# `dashstream config check`. Precedence: flag > environment > this\n"
    "# file > default. Sizes take a binary unit (\"512KiB\", \"10MiB\",\n"
    "# \"1GiB\"); durations are whole seconds or milliseconds, as the key\n"
    "# name says.\n";
  std::string_view section;
  for (const auto& s : settings()) {
    if (section_of(s.key) != section) {
      section = section_of(s.key);
      out += "\n[" + std::string{section} + "]\n";
    }
    out += "\n";
    out += wrap(s.description, "# ");
    std::string facts = "Allowed: " + allowed_text(s);
    if (!s.default_note.empty()) {
      facts += "; " + std::string{s.default_note};
    }
    facts += ". Env: " + env_list(s, false) + ".";
    out += wrap(facts, "# ");
    if (s.kind == value_kind::string_map) {
      out += "[" + std::string{s.key} + "]\n" +
             "# \"fetch.max.bytes\" = \"1048576\"\n";
      continue;
    }
    out += std::string{name_of(s.key)} + " = " +
           toml_value(s, s.default_value) + "\n";
  }
  return out;
}

} // namespace ds::config

#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "config/daemon_config.hpp"
#include "config/errc.hpp"

namespace ds::config {

// -- where a value came from --------------------------------------------------

enum class source_kind : uint8_t { default_value, file, env, flag };

struct value_source {
  source_kind kind = source_kind::default_value;
  /// file: "path:line"; env: the variable's name; flag: its spelling
  /// ("--set", "--brokers"). Empty for defaults.
  std::string where;

  bool operator==(const value_source&) const = default;
};

/// "default", "file dashstream.toml:12", "env KAFKA_TOPIC", "flag --set".
std::string to_string(const value_source& x);

// -- inputs -------------------------------------------------------------------

/// The environment the loader reads. Tests inject a map instead of calling
/// setenv(); the daemon uses process().
struct environment {
  /// Value of a variable, or nullopt when unset. An empty callable means no
  /// environment at all.
  std::function<std::optional<std::string>(const std::string&)> lookup;
  /// Every variable name, so that a misspelt DASHSTREAM_<SECTION>_* name is
  /// reported instead of silently ignored. May be empty.
  std::function<std::vector<std::string>()> names;

  /// Reads the process environment (getenv / environ).
  static environment process();

  /// A fixed set of variables.
  static environment from_map(std::map<std::string, std::string> vars);
};

/// One flag that sets a key, e.g. `--set kafka.brokers=host:9092`, or a
/// direct flag of `dashstream run` mapped to its key (`--port 0` becomes
/// {"http.port", "0", "--port"}). `value` is parsed like an environment
/// value; for kafka.properties use the key "kafka.properties.<name>".
struct flag_override {
  std::string key;
  std::string value;
  std::string flag = "--set";
};

/// Splits the argument of `--set` ("key=value") at the first '='.
caf::expected<flag_override> parse_set_flag(std::string_view arg);

struct load_request {
  /// The TOML file; when empty, DASHSTREAM_CONFIG names it, if set.
  std::optional<std::filesystem::path> file;
  environment env;
  /// Applied in order; a later flag for the same key wins.
  std::vector<flag_override> flags;
};

// -- output -------------------------------------------------------------------

struct loaded_config {
  daemon_config config;
  /// One entry per key of the table, plus "kafka.properties.<name>" for
  /// every property that is set ("kafka.properties" itself names the last
  /// layer that set one).
  std::map<std::string, value_source, std::less<>> sources;
  /// The file that was read, if any.
  std::optional<std::filesystem::path> file;
  /// Things that do not stop startup but deserve a log line (a §7 variable
  /// shadowed by its DASHSTREAM_* name, SASL settings with a plaintext
  /// protocol, ...).
  std::vector<std::string> warnings;

  /// The source of `key`; a default source for keys it does not know.
  const value_source& source_of(std::string_view key) const;
};

// -- loading ------------------------------------------------------------------

/// Builds a configuration layer by layer; a later call wins key by key, so
/// call in precedence order: file, environment, flags. Every problem is
/// kept, and finish() reports all of them at once. Each apply_* also
/// returns the problems of that call alone (empty error = fine).
///
/// load_with_sources() is this class used in the documented order; use the
/// class directly only to add layers the request cannot express.
class loader {
public:
  loader();

  caf::error apply_file(const std::filesystem::path& path);

  /// `origin` names the text in messages and sources (usually its path).
  caf::error apply_toml(std::string_view text, const std::string& origin);

  caf::error apply_environment(const environment& env);

  /// Sets `key` from text, as an environment variable or flag would.
  caf::error apply_override(std::string_view key, std::string_view value,
                            const value_source& source);

  /// Derives what was left to derive (pipeline.partition_inflight_low_water
  /// defaults to half of partition_inflight_max), runs the cross-field
  /// checks and returns the configuration, or every problem found so far.
  caf::expected<loaded_config> finish() const;

private:
  struct problem {
    errc code;
    std::string text;
  };

  caf::error record(std::vector<problem> found);
  void apply_text(std::string_view key, std::string_view text,
                  const value_source& source, std::vector<problem>& found);

  loaded_config result_;
  std::vector<problem> problems_;
};

/// Loads with precedence flag > environment > file > default and validates.
/// On failure, the error (errc::* of the first problem) lists every problem,
/// one per line, in its detail (diag::describe() shows them all). The caller
/// exits with EX_CONFIG (78).
caf::expected<loaded_config> load_with_sources(const load_request& req);

/// load_with_sources() without the sources.
caf::expected<daemon_config> load(const load_request& req);

// -- what `dashstream config ...` prints --------------------------------------

/// The effective configuration as TOML that loads back to the same values:
/// every key, secrets as "***", each value followed by a comment naming its
/// source ("# default", "# file x.toml:3", "# env KAFKA_TOPIC",
/// "# flag --set"). Warnings come first, as comments.
std::string print_effective(const loaded_config& cfg);

/// The outcome of `dashstream config check`: `report` is what to print
/// (stdout when ok, stderr otherwise); exit 0 when ok, else 78.
struct check_result {
  bool ok = false;
  std::string report;
};

check_result check(const load_request& req);

/// docs/configuration.md, generated from the settings table.
std::string reference_markdown();

/// config/dashstream.example.toml: every key at its default, documented.
std::string example_toml();

} // namespace ds::config

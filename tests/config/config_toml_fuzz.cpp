// libFuzzer target for the configuration file: bytes as a TOML document
// through loader::apply_toml() (what apply_file() does with a file's text),
// then finish() (derived defaults, cross-field checks).
// For any bytes:
// - nothing crashes, reads out of bounds or throws (ASan/UBSan watch);
// - a refused document is refused with a config errc and a message;
// - a configuration that loads prints (print_effective()) as TOML that
//   loads back to the same configuration, secrets aside (printed as "***"),
//   and prints the same again.
// Run: config_toml_fuzz -max_total_time=20 <corpus-dir> (ctest -L fuzz does
// this on a copy of tests/config/fuzz_corpus).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "diag/errc.hpp"

namespace {

using namespace ds::config;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "config_toml_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// What print_effective() shows of a configuration: secrets that are set
// become "***", in the settings and in kafka.properties.
daemon_config redacted(daemon_config cfg) {
  for (const auto& s : settings()) {
    if (!s.secret) {
      continue;
    }
    auto v = s.access.get(cfg);
    if (auto* text = std::get_if<std::string>(&v); text && !text->empty()) {
      s.access.set(cfg, setting_value{std::string{"***"}});
    }
  }
  for (auto& [name, value] : cfg.kafka.properties) {
    if (!value.empty() && is_secret_property(name)) {
      value = "***";
    }
  }
  return cfg;
}

caf::expected<loaded_config> load_text(std::string_view text,
                                       const std::string& origin) {
  loader l;
  auto err = l.apply_toml(text, origin);
  auto cfg = l.finish();
  if (err && cfg) {
    fail("apply_toml() failed but finish() succeeded");
  }
  return cfg;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto first = load_text(text, "fuzz.toml");
  if (!first) {
    if (to_errc(first.error()) == errc::none ||
        ds::diag::error_detail(first.error()).empty()) {
      fail("refused without a config error and a message");
    }
    return 0;
  }
  auto printed = print_effective(*first);
  auto second = load_text(printed, "printed.toml");
  if (!second) {
    fail("print_effective() does not load back",
         printed + "\n" + ds::diag::describe(second.error()));
  }
  if (redacted(first->config) != second->config) {
    fail("print_effective() loads back to another configuration", printed);
  }
  // Every value of the second load comes from the printed file; printing it
  // again must give the same values (the sources differ, not the values).
  auto reprinted = print_effective(*second);
  auto third = load_text(reprinted, "reprinted.toml");
  if (!third || third->config != second->config) {
    fail("printing is not stable", reprinted);
  }
  return 0;
}

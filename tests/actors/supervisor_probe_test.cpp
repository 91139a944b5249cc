#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>

#include "actors/supervisor_probe.hpp"

using namespace ds::actors;
namespace fs = std::filesystem;

namespace {

// label value -> counter value, for one family of a scrape.
std::map<std::string, double> series_of(const prometheus::Registry& registry,
                                        const std::string& family,
                                        const std::string& label) {
  std::map<std::string, double> out;
  for (const auto& fam : registry.Collect()) {
    if (fam.name != family) {
      continue;
    }
    for (const auto& m : fam.metric) {
      for (const auto& l : m.label) {
        if (l.name == label) {
          out[l.value] = m.counter.value;
        }
      }
    }
  }
  return out;
}

template<class List>
std::set<std::string> as_set(const List& xs) {
  std::set<std::string> out;
  for (auto x : xs) {
    out.emplace(x);
  }
  return out;
}

struct spawn_sites {
  std::set<std::string> kinds;
  std::set<std::string> supervisors;
  std::vector<std::string> files;
};

// Reads the label values the spawn sites use from the source tree: every
// file under actors/ and app/ (runtime/ too, for older layouts) that builds a
// child_spec or a supervisor_config. The forms recognised:
//   {name, "kind", [capture] ...}        a child_spec, braced, lambda start
//   typed_child<H>(name, "kind", ...)    the typed child helper
//   .kind = "kind"                       designated or member assignment
//   supervision(cfg, "name", ...)        the daemon's supervisor_config helper
//   .name = "name"                       in a file using supervisor_config
// A spawn site written another way is not seen; the set comparison below
// then fails for the kinds it hides from the scan.
spawn_sites scan_sources() {
  static const std::regex braced_kind{
    R"re(\{\s*(?:"[^"]*"|[\w:.>-]+(?:\([^()]*\))?)\s*,\s*"([^"]*)"\s*,\s*\[)re"};
  static const std::regex designated_kind{R"re(\.kind\s*=\s*"([^"]*)")re"};
  static const std::regex typed_kind{
    R"re(typed_child<[^>]*>\(\s*(?:"[^"]*"|[\w:.>-]+(?:\([^()]*\))?)\s*,\s*"([^"]*)")re"};
  static const std::regex helper_name{
    R"re(supervision\s*\(\s*[\w.>-]+\s*,\s*"([^"]*)")re"};
  static const std::regex designated_name{R"re(\.name\s*=\s*"([^"]*)")re"};
  auto collect = [](const std::string& text, const std::regex& re,
                    std::set<std::string>& out) {
    for (std::sregex_iterator i{text.begin(), text.end(), re}, end; i != end;
         ++i) {
      out.insert((*i)[1].str());
    }
  };
  spawn_sites out;
  fs::path root{DS_SOURCE_DIR};
  for (const char* dir : {"actors", "app", "runtime"}) {
    if (!fs::exists(root / dir)) {
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator{root / dir}) {
      auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
        continue;
      }
      std::ifstream in{entry.path()};
      std::stringstream buf;
      buf << in.rdbuf();
      auto text = buf.str();
      bool specs = text.find("child_spec") != std::string::npos ||
                   text.find("typed_child") != std::string::npos;
      bool configs = text.find("supervisor_config") != std::string::npos;
      if (specs) {
        collect(text, braced_kind, out.kinds);
        collect(text, designated_kind, out.kinds);
        collect(text, typed_kind, out.kinds);
      }
      if (configs) {
        collect(text, helper_name, out.supervisors);
        collect(text, designated_name, out.supervisors);
      }
      if (specs || configs) {
        out.files.push_back(fs::relative(entry.path(), root).string());
      }
    }
  }
  return out;
}

std::string joined(const std::set<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += (out.empty() ? "" : ", ") + x;
  }
  return out;
}

std::set<std::string> minus(const std::set<std::string>& a,
                            const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                      std::inserter(out, out.end()));
  return out;
}

} // namespace

TEST_CASE("a fresh probe has every known series at 0") {
  prometheus::Registry registry;
  supervisor_probe probe{registry};
  auto restarts =
    series_of(registry, "dashstream_actor_restarts_total", "actor");
  auto escalations = series_of(
    registry, "dashstream_supervisor_escalations_total", "supervisor");
  CHECK(restarts.size() == known_actor_kinds.size());
  for (auto kind : known_actor_kinds) {
    INFO("actor=" << kind);
    REQUIRE(restarts.count(std::string{kind}) == 1);
    CHECK(restarts[std::string{kind}] == 0);
  }
  CHECK(escalations.size() == known_supervisors.size());
  for (auto name : known_supervisors) {
    INFO("supervisor=" << name);
    REQUIRE(escalations.count(std::string{name}) == 1);
    CHECK(escalations[std::string{name}] == 0);
  }
  // The pre-created series are the ones the supervisor increments.
  probe.restarts.Add({{"actor", "validator"}}).Increment();
  CHECK(series_of(registry, "dashstream_actor_restarts_total",
                  "actor")["validator"] == 1);
}

TEST_CASE("the known label values are the ones the spawn sites use") {
  auto sites = scan_sources();
  INFO("scanned " << sites.files.size() << " files under " << DS_SOURCE_DIR);
  REQUIRE_FALSE(sites.files.empty());
  auto kinds = as_set(known_actor_kinds);
  auto supervisors = as_set(known_supervisors);
  INFO("spawn sites use kinds {" << joined(sites.kinds) << "}, supervisors {"
                                 << joined(sites.supervisors) << "}");
  {
    INFO("spawn sites use kinds missing from known_actor_kinds "
         "(actors/supervisor_probe.hpp)");
    CHECK(joined(minus(sites.kinds, kinds)) == "");
  }
  {
    INFO("spawn sites use supervisor names missing from known_supervisors "
         "(actors/supervisor_probe.hpp)");
    CHECK(joined(minus(sites.supervisors, supervisors)) == "");
  }
  // The other direction catches a stale entry, and a spawn site written
  // in a form scan_sources() does not recognise.
  {
    INFO("known kinds without a spawn site: remove them, or teach "
         "scan_sources() the new form");
    CHECK(joined(minus(kinds, sites.kinds)) == "");
  }
  {
    INFO("known supervisors without a spawn site: remove them, or teach "
         "scan_sources() the new form");
    CHECK(joined(minus(supervisors, sites.supervisors)) == "");
  }
}

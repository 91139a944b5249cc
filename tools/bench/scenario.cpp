#include "tools/bench/scenario.hpp"

#include <filesystem>
#include <set>

#include <toml++/toml.h>

#include "tools/bench/errc.hpp"

namespace ds::bench {

std::string_view to_string(scenario_mode x) noexcept {
  switch (x) {
    case scenario_mode::throughput:
      return "throughput";
    case scenario_mode::latency:
      return "latency";
    case scenario_mode::sweep:
      return "sweep";
    case scenario_mode::bad_records:
      return "bad_records";
    case scenario_mode::fanout:
      return "fanout";
    case scenario_mode::variants:
      return "variants";
  }
  return "unknown";
}

namespace {

caf::error bad(const std::string& path, const std::string& key,
               const std::string& what) {
  return make_error(errc::invalid_scenario, path + ": " + key + ": " + what);
}

// Every key a table may have: a typo is an error, not a silent default.
caf::error check_keys(const std::string& path, const std::string& prefix,
                      const toml::table& tbl,
                      const std::set<std::string>& allowed) {
  for (const auto& [k, v] : tbl) {
    std::string key{k.str()};
    if (allowed.count(key) == 0) {
      return bad(path, prefix + key, "unknown key");
    }
  }
  return {};
}

template<class T>
caf::error get_int(const std::string& path, const toml::table& tbl,
                   const std::string& prefix, const char* key, T& out,
                   int64_t lo, int64_t hi) {
  auto node = tbl.get(key);
  if (node == nullptr) {
    return {};
  }
  auto v = node->value<int64_t>();
  if (!v || *v < lo || *v > hi) {
    return bad(path, prefix + key,
               "must be an integer from " + std::to_string(lo) + " to " +
                 std::to_string(hi));
  }
  out = static_cast<T>(*v);
  return {};
}

caf::error get_string(const std::string& path, const toml::table& tbl,
                      const std::string& prefix, const char* key,
                      std::string& out) {
  auto node = tbl.get(key);
  if (node == nullptr) {
    return {};
  }
  auto v = node->value<std::string>();
  if (!v) {
    return bad(path, prefix + key, "must be a string");
  }
  out = *v;
  return {};
}

caf::error get_int_list(const std::string& path, const toml::table& tbl,
                        const std::string& prefix, const char* key,
                        std::vector<int>& out, int lo, int hi) {
  auto node = tbl.get(key);
  if (node == nullptr) {
    return {};
  }
  auto* arr = node->as_array();
  if (arr == nullptr || arr->empty()) {
    return bad(path, prefix + key, "must be a non-empty array of integers");
  }
  out.clear();
  for (const auto& el : *arr) {
    auto v = el.value<int64_t>();
    if (!v || *v < lo || *v > hi) {
      return bad(path, prefix + key,
                 "elements must be integers from " + std::to_string(lo) +
                   " to " + std::to_string(hi));
    }
    out.push_back(static_cast<int>(*v));
  }
  return {};
}

// A table of scalar values, kept as strings (daemon --set values).
caf::error get_string_map(const std::string& path, const toml::table& tbl,
                          const std::string& prefix, const char* key,
                          std::map<std::string, std::string>& out) {
  auto node = tbl.get(key);
  if (node == nullptr) {
    return {};
  }
  auto* t = node->as_table();
  if (t == nullptr) {
    return bad(path, prefix + key, "must be a table");
  }
  for (const auto& [k, v] : *t) {
    std::string name{k.str()};
    if (auto s = v.value<std::string>()) {
      out[name] = *s;
    } else if (auto i = v.value<int64_t>()) {
      out[name] = std::to_string(*i);
    } else if (auto b = v.value<bool>()) {
      out[name] = *b ? "true" : "false";
    } else {
      return bad(path, prefix + key + "." + name,
                 "must be a string, an integer or a boolean");
    }
  }
  return {};
}

caf::error load_workload(const std::string& path, const toml::table& t,
                         scenario_workload& w) {
  const std::string p = "workload.";
  if (auto err = check_keys(
        path, p, t,
        {"count", "size", "threads", "tenants", "partitions", "payload", "mix",
         "batch_threads", "zstd", "compression_threshold", "gaps", "duplicates",
         "reorders", "corrupt", "seed", "traceparent"})) {
    return err;
  }
  caf::error err;
  (err = get_int(path, t, p, "count", w.count, 1, 50'000'000)) ||
    (err = get_int(path, t, p, "size", w.size, 1, 1 << 20)) ||
    (err = get_int(path, t, p, "threads", w.threads, 1, 10'000'000)) ||
    (err = get_int(path, t, p, "tenants", w.tenants, 1, 1'000'000)) ||
    (err = get_int(path, t, p, "partitions", w.partitions, 1, 1024)) ||
    (err = get_int(path, t, p, "batch_threads", w.batch_threads, 1, 10000)) ||
    (err = get_int(path, t, p, "compression_threshold", w.compression_threshold,
                   0, 1 << 20)) ||
    (err = get_int(path, t, p, "seed", w.seed, 0, INT64_MAX)) ||
    (err = get_string(path, t, p, "payload", w.payload)) ||
    (err = get_string(path, t, p, "mix", w.mix)) ||
    (err = get_string(path, t, p, "gaps", w.gaps)) ||
    (err = get_string(path, t, p, "duplicates", w.duplicates)) ||
    (err = get_string(path, t, p, "reorders", w.reorders)) ||
    (err = get_string(path, t, p, "corrupt", w.corrupt)) ||
    (err = get_string(path, t, p, "traceparent", w.traceparent));
  if (err) {
    return err;
  }
  if (w.traceparent != "off" && w.traceparent != "auto") {
    return bad(path, p + "traceparent", "must be \"off\" or \"auto\"");
  }
  if (w.payload != "text" && w.payload != "random") {
    return bad(path, p + "payload", "must be \"text\" or \"random\"");
  }
  if (auto node = t.get("zstd")) {
    auto v = node->value<bool>();
    if (!v) {
      return bad(path, p + "zstd", "must be true or false");
    }
    w.zstd = *v;
  }
  return {};
}

} // namespace

caf::expected<scenario> load_scenario(const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return make_error(errc::invalid_scenario,
                      path + ": " + std::string{e.description()});
  }
  scenario s;
  s.name = std::filesystem::path{path}.stem().string();
  if (auto err = check_keys(path, "", doc,
                            {"name", "description", "mode", "rounds",
                             "round_timeout_secs", "workload", "daemon",
                             "consumer_properties", "latency", "sweep",
                             "bad_records", "fanout", "variants"})) {
    return err;
  }
  std::string mode = "throughput";
  caf::error err;
  (err = get_string(path, doc, "", "name", s.name)) ||
    (err = get_string(path, doc, "", "description", s.description)) ||
    (err = get_string(path, doc, "", "mode", mode)) ||
    (err = get_int(path, doc, "", "rounds", s.rounds, 1, 20)) ||
    (err = get_int(path, doc, "", "round_timeout_secs", s.round_timeout_secs, 5,
                   3600)) ||
    (err = get_string_map(path, doc, "", "daemon", s.daemon)) ||
    (err = get_string_map(path, doc, "", "consumer_properties",
                          s.consumer_properties));
  if (err) {
    return err;
  }
  if (mode == "throughput") {
    s.mode = scenario_mode::throughput;
  } else if (mode == "latency") {
    s.mode = scenario_mode::latency;
  } else if (mode == "sweep") {
    s.mode = scenario_mode::sweep;
  } else if (mode == "bad_records") {
    s.mode = scenario_mode::bad_records;
  } else if (mode == "fanout") {
    s.mode = scenario_mode::fanout;
  } else if (mode == "variants") {
    s.mode = scenario_mode::variants;
  } else {
    return bad(path, "mode",
               "must be throughput, latency, sweep, bad_records, fanout or "
               "variants");
  }
  for (const char* key :
       {"workload", "latency", "sweep", "bad_records", "fanout"}) {
    auto node = doc.get(key);
    if (node != nullptr && !node->is_table()) {
      return bad(path, key, "must be a table");
    }
  }
  if (auto* w = doc["workload"].as_table()) {
    if (auto e = load_workload(path, *w, s.workload)) {
      return e;
    }
  }
  if (auto* l = doc["latency"].as_table()) {
    if (auto e = check_keys(path, "latency.", *l,
                            {"load_fraction", "duration_secs"})) {
      return e;
    }
    if (auto e = get_int(path, *l, "latency.", "duration_secs", s.duration_secs,
                         1, 3600)) {
      return e;
    }
    if (auto node = l->get("load_fraction")) {
      auto v = node->value<double>();
      if (!v || *v <= 0 || *v > 1) {
        return bad(path, "latency.load_fraction", "must be a number in (0, 1]");
      }
      s.load_fraction = *v;
    }
  }
  if (auto* sw = doc["sweep"].as_table()) {
    if (auto e = check_keys(path, "sweep.", *sw,
                            {"validators", "scheduler_threads"})) {
      return e;
    }
    if (auto e = get_int_list(path, *sw, "sweep.", "validators",
                              s.sweep_validators, 1, 1024)) {
      return e;
    }
    if (auto e = get_int_list(path, *sw, "sweep.", "scheduler_threads",
                              s.sweep_scheduler_threads, 0, 256)) {
      return e;
    }
  }
  if (auto* b = doc["bad_records"].as_table()) {
    if (auto e = check_keys(path, "bad_records.", *b, {"corrupt"})) {
      return e;
    }
    if (auto e =
          get_string(path, *b, "bad_records.", "corrupt", s.bad_corrupt)) {
      return e;
    }
    if (s.bad_corrupt.empty()) {
      return bad(path, "bad_records.corrupt",
                 "must name at least one corrupt record");
    }
  }
  if (auto* f = doc["fanout"].as_table()) {
    if (s.mode != scenario_mode::fanout) {
      return bad(path, "fanout", "only for mode = \"fanout\"");
    }
    if (auto e =
          check_keys(path, "fanout.", *f,
                     {"clients", "reader_threads", "raw_reader_threads"})) {
      return e;
    }
    caf::error e;
    (e =
       get_int(path, *f, "fanout.", "clients", s.fanout_clients, 1, 10'000)) ||
      (e = get_int(path, *f, "fanout.", "reader_threads",
                   s.fanout_reader_threads, 1, 64)) ||
      (e = get_int_list(path, *f, "fanout.", "raw_reader_threads",
                        s.fanout_raw_reader_threads, 1, 64));
    if (e) {
      return e;
    }
  }
  if (auto* vs = doc["variants"].as_array()) {
    if (s.mode != scenario_mode::variants) {
      return bad(path, "variants", "only for mode = \"variants\"");
    }
    for (std::size_t i = 0; i < vs->size(); ++i) {
      auto p = "variants[" + std::to_string(i) + "].";
      auto* t = (*vs)[i].as_table();
      if (t == nullptr) {
        return bad(path, "variants", "must be an array of tables");
      }
      if (auto e = check_keys(path, p, *t, {"name", "daemon"})) {
        return e;
      }
      scenario_variant v;
      caf::error e;
      (e = get_string(path, *t, p, "name", v.name)) ||
        (e = get_string_map(path, *t, p, "daemon", v.daemon));
      if (e) {
        return e;
      }
      if (v.name.empty()) {
        return bad(path, p + "name", "missing");
      }
      for (const auto& other : s.variants) {
        if (other.name == v.name) {
          return bad(path, p + "name", "repeats \"" + v.name + "\"");
        }
      }
      s.variants.push_back(std::move(v));
    }
  } else if (doc.get("variants") != nullptr) {
    return bad(path, "variants", "must be an array of tables ([[variants]])");
  }
  if (s.mode == scenario_mode::variants && s.variants.size() < 2) {
    return bad(path, "variants",
               "mode = \"variants\" needs at least two [[variants]]: the "
               "first is the baseline");
  }
  if (s.mode == scenario_mode::fanout) {
    if (s.fanout_clients == 0) {
      return bad(path, "fanout.clients",
                 "missing: mode = \"fanout\" needs the number of WebSocket "
                 "clients");
    }
    // Every record must reach every client: a corrupt one goes to the DLQ
    // instead, so the count per client would not be the count produced.
    if (!s.workload.corrupt.empty()) {
      return bad(path, "workload.corrupt",
                 "not allowed with mode = \"fanout\" (corrupt records are "
                 "never forwarded)");
    }
  }
  return s;
}

std::string resolve_scenario_path(const std::string& arg,
                                  const std::string& scenario_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) {
    return arg;
  }
  auto candidate = fs::path{scenario_dir} / (arg + ".toml");
  if (fs::is_regular_file(candidate, ec)) {
    return candidate.string();
  }
  return arg;
}

} // namespace ds::bench

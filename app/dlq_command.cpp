// `dashstream dlq inspect | replay | spool status`: operator tools for the
// dead-letter queue. The logic lives in runtime/dlq (tested there); this file
// is flags and output.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/config_options.hpp"
#include "app/daemon.hpp"
#include "app/exit_code.hpp"
#include "config/loader.hpp"
#include "diag/errc.hpp"
#include "dlq/envelope.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/spool/spool.hpp"

namespace ds::app {

namespace {

struct dlq_options {
  config_options config;
  std::string dlq_topic;
  std::string error_type;
  std::string tenant;
  std::string thread;
  std::string since;
  std::string until;
  size_t limit = 0;
  bool json = false;
  int timeout_secs = 30;
  // replay
  std::string to_topic;
  bool execute = false;
  // spool status
  std::string spool_dir;
};

struct resolved {
  config::daemon_config cfg;
  kafka::client_config kafka;
  std::string topic;
  dlq_store::dlq_filter filter;
};

// Loads the configuration (file, env, flags) and the filter; prints the
// problem and returns the exit code on failure.
std::variant<resolved, int> resolve(const dlq_options& o, bool need_broker) {
  auto req = o.config.request();
  if (!req) {
    std::cerr << "error: " << diag::describe(req.error()) << '\n';
    return exit_usage;
  }
  auto cfg = config::load(*req);
  if (!cfg) {
    std::cerr << "error: " << diag::describe(cfg.error()) << '\n';
    return exit_config;
  }
  resolved r;
  r.cfg = *cfg;
  r.kafka = client_config_from(cfg->kafka);
  r.topic =
    o.dlq_topic.empty() ? config::effective_dlq_topic(*cfg) : o.dlq_topic;
  if (need_broker && r.kafka.brokers.empty()) {
    std::cerr << "error: no Kafka broker configured; pass --brokers "
                 "host:port (or set kafka.brokers)\n";
    return exit_usage;
  }
  auto set = [](const std::string& v, std::optional<std::string>& out) {
    if (!v.empty()) {
      out = v;
    }
  };
  set(o.error_type, r.filter.error_type);
  set(o.tenant, r.filter.tenant_id);
  set(o.thread, r.filter.thread_id);
  for (auto [text, out] : {std::pair{&o.since, &r.filter.since},
                           std::pair{&o.until, &r.filter.until}}) {
    if (text->empty()) {
      continue;
    }
    auto t = dlq::parse_rfc3339(*text);
    if (!t) {
      std::cerr << "error: " << diag::describe(t.error()) << '\n';
      return exit_usage;
    }
    *out = *t;
  }
  r.filter.limit = o.limit;
  return r;
}

void add_filter_flags(CLI::App& cmd, dlq_options& o) {
  o.config.add_to(cmd);
  cmd.add_option("--dlq-topic", o.dlq_topic,
                 "DLQ topic to read (default: dlq.topic, or <topic>-dlq)");
  cmd.add_option("--error-type", o.error_type,
                 "Only records with this error_type");
  cmd.add_option("--tenant", o.tenant, "Only records of this tenant_id");
  cmd.add_option("--thread", o.thread, "Only records of this thread_id");
  cmd.add_option("--since", o.since,
                 "Only records dead-lettered at or after this RFC 3339 time");
  cmd.add_option("--until", o.until,
                 "Only records dead-lettered before this RFC 3339 time");
  cmd.add_option("--limit", o.limit, "Show at most N records (0 = all)");
  cmd
    .add_option("--timeout-secs", o.timeout_secs,
                "Give up reading or sending after this long")
    ->check(CLI::Range(1, 3600));
}

std::string field(const nlohmann::json& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end() || it->is_null()) {
    return "-";
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string clip(std::string s, size_t n) {
  if (s.size() > n) {
    s.resize(n - 3);
    s += "...";
  }
  return s;
}

int run_inspect(const dlq_options& o) {
  auto r = resolve(o, true);
  if (auto* rc = std::get_if<int>(&r)) {
    return *rc;
  }
  auto& res = std::get<resolved>(r);
  auto listing = dlq_store::read_dlq(res.kafka, res.topic, res.filter,
                                     std::chrono::seconds{o.timeout_secs});
  if (!listing) {
    std::cerr << "error: cannot read " << res.topic << ": "
              << diag::describe(listing.error()) << '\n';
    return exit_failure;
  }
  if (o.json) {
    nlohmann::json out{{"topic", res.topic},
                       {"scanned", listing->scanned},
                       {"matched", listing->entries.size()},
                       {"duplicates", listing->duplicates},
                       {"malformed", listing->malformed},
                       {"records", nlohmann::json::array()}};
    for (const auto& e : listing->entries) {
      nlohmann::json rec{{"dlq_partition", e.partition},
                         {"dlq_offset", e.offset},
                         {"envelope", e.envelope}};
      if (!e.decoded.is_null()) {
        rec["decoded"] = e.decoded;
      }
      out["records"].push_back(std::move(rec));
    }
    std::cout << out.dump(-1, ' ', false,
                          nlohmann::json::error_handler_t::replace)
              << '\n';
    return exit_ok;
  }
  std::cout << std::left << std::setw(12) << "DLQ P/OFF" << std::setw(25)
            << "TIMESTAMP" << std::setw(20) << "ERROR_TYPE" << std::setw(12)
            << "TENANT" << std::setw(16) << "THREAD" << std::setw(28)
            << "SOURCE" << std::setw(16) << "DECODED"
            << "ERROR\n";
  for (const auto& e : listing->entries) {
    const auto& env = e.envelope;
    auto decoded = std::string{"-"};
    if (!e.decoded.is_null()) {
      decoded = e.decoded.value("decodes", false)
                  ? e.decoded.value("type", std::string{"?"})
                  : std::string{"undecodable"};
    }
    std::cout << std::setw(12)
              << (std::to_string(e.partition) + "/" + std::to_string(e.offset))
              << std::setw(25) << field(env, "timestamp") << std::setw(20)
              << clip(field(env, "error_type"), 19) << std::setw(12)
              << clip(field(env, "tenant_id"), 11) << std::setw(16)
              << clip(field(env, "thread_id"), 15) << std::setw(28)
              << clip(field(env, "record_id"), 27) << std::setw(16)
              << clip(decoded, 15) << clip(field(env, "error"), 60) << '\n';
  }
  std::cerr << listing->entries.size() << " matching of " << listing->scanned
            << " records in " << res.topic << " (" << listing->duplicates
            << " duplicates, " << listing->malformed << " not DLQ envelopes)\n";
  return exit_ok;
}

int run_replay(const dlq_options& o) {
  auto r = resolve(o, true);
  if (auto* rc = std::get_if<int>(&r)) {
    return *rc;
  }
  auto& res = std::get<resolved>(r);
  auto to = o.to_topic.empty() ? res.cfg.kafka.topic : o.to_topic;
  if (to == res.topic) {
    std::cerr << "error: replaying into the DLQ topic itself would loop; "
                 "pick --to\n";
    return exit_usage;
  }
  auto timeout = std::chrono::seconds{o.timeout_secs};
  auto listing = dlq_store::read_dlq(res.kafka, res.topic, res.filter, timeout);
  if (!listing) {
    std::cerr << "error: cannot read " << res.topic << ": "
              << diag::describe(listing.error()) << '\n';
    return exit_failure;
  }
  auto rep =
    dlq_store::replay(res.kafka, res.topic, *listing, to, o.execute, timeout);
  if (!rep) {
    std::cerr << "error: replay to " << to
              << " failed: " << diag::describe(rep.error()) << '\n';
    return exit_failure;
  }
  nlohmann::json out{
    {"dlq_topic", res.topic},        {"to_topic", to},
    {"execute", o.execute},          {"selected", rep->selected},
    {"replayable", rep->replayable}, {"no_payload", rep->no_payload},
    {"truncated", rep->truncated},   {"sent", rep->sent},
    {"failed", rep->failed}};
  if (o.json) {
    std::cout << out.dump() << '\n';
  } else {
    std::cout << (o.execute ? "replayed " : "dry run: would replay ")
              << (o.execute ? rep->sent : rep->replayable) << " of "
              << rep->selected << " selected records from " << res.topic
              << " to " << to << '\n';
    if (rep->no_payload + rep->truncated > 0) {
      std::cout << "skipped " << rep->no_payload
                << " without an embedded payload (dlq.include_payload was "
                   "off) and "
                << rep->truncated << " with a truncated one\n";
    }
    if (!o.execute) {
      std::cout << "pass --execute to send\n";
    }
  }
  return rep->failed == 0 ? exit_ok : exit_failure;
}

int run_spool_status(const dlq_options& o) {
  auto dir = o.spool_dir;
  if (dir.empty()) {
    auto r = resolve(o, false);
    if (auto* rc = std::get_if<int>(&r)) {
      return *rc;
    }
    dir = std::get<resolved>(r).cfg.dlq.spool_dir;
  }
  auto res = spool::spool::inspect(dir);
  if (!res) {
    std::cerr << "error: " << diag::describe(res.error()) << '\n';
    return exit_failure;
  }
  const auto& [st, rep] = *res;
  double age = 0;
  if (st.oldest_append_ms) {
    using namespace std::chrono;
    auto now =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
        .count();
    age = std::max<double>(0, static_cast<double>(now - *st.oldest_append_ms) /
                                1e3);
  }
  nlohmann::json out{{"dir", dir},
                     {"records", st.records},
                     {"bytes", st.bytes},
                     {"segments", st.segments},
                     {"oldest_age_seconds", age},
                     {"empty_segments", rep.empty_segments},
                     {"torn_segments", rep.truncations},
                     {"torn_bytes", rep.truncated_bytes},
                     {"problems", rep.notes}};
  if (o.json) {
    std::cout << out.dump() << '\n';
    return exit_ok;
  }
  std::cout << "spool " << dir << ": " << st.records << " records, " << st.bytes
            << " bytes in " << st.segments << " segments";
  if (st.oldest_append_ms) {
    std::cout << ", oldest " << std::fixed << std::setprecision(1) << age
              << " s old";
  }
  std::cout << '\n';
  for (const auto& note : rep.notes) {
    std::cout << "  would truncate: " << note << '\n';
  }
  std::cout << "(records acknowledged by Kafka but not yet removed are "
               "counted; read-only, nothing was changed)\n";
  return exit_ok;
}

} // namespace

void add_dlq_command(CLI::App& root, command_context& ctx) {
  auto* dlq = root.add_subcommand(
    "dlq", "Inspect and replay the dead-letter queue; check the local spool");
  dlq->require_subcommand(1);

  auto io = std::make_shared<dlq_options>();
  auto* inspect = dlq->add_subcommand(
    "inspect", "List DLQ records (filters AND together); --json for tools");
  add_filter_flags(*inspect, *io);
  inspect->add_flag("--json", io->json, "One JSON document instead of a table");
  inspect->callback([io, &ctx] { ctx.exit_status = run_inspect(*io); });

  auto ro = std::make_shared<dlq_options>();
  auto* replay = dlq->add_subcommand(
    "replay", "Re-produce selected DLQ records (their embedded payload) to a "
              "topic with provenance headers; a dry run unless --execute");
  add_filter_flags(*replay, *ro);
  replay->add_option("--to", ro->to_topic,
                     "Target topic (default: kafka.topic)");
  replay->add_flag("--execute", ro->execute, "Really send (default: dry run)");
  replay->add_flag("--json", ro->json, "Print the report as JSON");
  replay->callback([ro, &ctx] { ctx.exit_status = run_replay(*ro); });

  auto so = std::make_shared<dlq_options>();
  auto* spool_cmd = dlq->add_subcommand("spool", "The local DLQ spool");
  spool_cmd->require_subcommand(1);
  auto* status = spool_cmd->add_subcommand(
    "status", "Records, bytes, segments and oldest age of a spool directory "
              "(read-only; safe while the daemon runs)");
  so->config.add_to(*status);
  status->add_option("--dir", so->spool_dir,
                     "Spool directory (default: dlq.spool_dir)");
  status->add_flag("--json", so->json, "Print JSON");
  status->callback([so, &ctx] { ctx.exit_status = run_spool_status(*so); });
}

} // namespace ds::app

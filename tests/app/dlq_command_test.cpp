// The real `dashstream dlq inspect | replay | spool status` commands against
// the real broker. The DLQ is filled by the real daemon: `dashstream
// produce` sends a workload with every corrupt kind and a few sequence gaps
// (ground truth written to a file), and `dashstream run` with
// validation.policy = halt dead-letters the corrupt records (decode stage,
// no thread or tenant) and every record of a gapped thread from its gap on
// (halted_thread, with thread and tenant). The commands' output is checked
// against that ground truth record by record.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dlq/envelope.hpp"
#include "runtime/dlq_store/sink.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/topic_reader.hpp"
#include "runtime/spool/spool.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ds;
using namespace std::chrono_literals;
using json = nlohmann::json;
using ds::test::eventually;

namespace {

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

std::string slurp(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One finished run of the CLI: exit status, stdout and stderr apart.
struct cli_result {
  int status = -1;
  std::string out;
  std::string err;

  json doc() const { return json::parse(out, nullptr, false); }
};

cli_result run_cli(const std::vector<std::string>& args) {
  static int n = 0;
  auto base =
    "/tmp/dlq-cmd-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
  std::vector<std::string> argv{DS_DASHSTREAM_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (auto& a : argv) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (base + ".out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (base + ".err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  cli_result r;
  if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ) == 0) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  posix_spawn_file_actions_destroy(&fa);
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

// The contract's error_type for each corrupt kind (contract §4; the decode
// error each kind gives is documented in tools/workload/README.md).
const std::map<std::string, std::string> error_type_of_kind{
  {"bad_framing_byte", "invalid_format"},
  {"truncated_protobuf", "decode_error"},
  {"zstd_bomb", "payload_too_large"},
  {"zstd_no_content_size", "decompression_error"},
  {"missing_header", "schema_error"},
  {"empty_value", "invalid_format"},
};

std::string src_id(int64_t partition, int64_t offset) {
  return std::to_string(partition) + "/" + std::to_string(offset);
}

// A source topic, its DLQ filled by a real daemon, and what must be in it.
struct filled_dlq {
  std::string brokers = test::kafka_bootstrap();
  std::string topic = unique_name("dlq-cmd");
  std::string dlq_topic = topic + "-dlq";
  kafka::client_config client{brokers, {}};
  json truth;
  // source "partition/offset" -> expected error_type, for every record
  // the DLQ must hold.
  std::map<std::string, std::string> expected;
  // halted_thread records per thread and per tenant.
  std::map<std::string, size_t> halted_by_thread;
  std::map<std::string, size_t> halted_by_tenant;
  std::map<std::string, std::string> tenant_of_thread;
  size_t corrupt = 0;
  // The original values, by source "partition/offset".
  std::map<std::string, std::string> source_values;

  std::vector<std::string> base() const {
    return {"--brokers", brokers, "--topic", topic, "--timeout-secs", "60"};
  }

  filled_dlq() {
    REQUIRE_FALSE(kafka::create_topic(client, dlq_topic, 3, 1, 30s));
    auto truth_file = "/tmp/" + topic + "-truth.json";
    // Events only (every record sequenced, solo threads), two tenants,
    // three gaps, two records of every corrupt kind.
    auto prod = run_cli({"produce",  "--brokers",
                         brokers,    "--topic",
                         topic,      "--create-topic",
                         "3",        "--count",
                         "240",      "--threads",
                         "6",        "--tenants",
                         "2",        "--mix",
                         "event:1",  "--size",
                         "150",      "--seed",
                         "4242",     "--inject-gaps",
                         "3",        "--inject-corrupt",
                         "all:2",    "--ground-truth",
                         truth_file, "--json"});
    INFO(prod.err);
    REQUIRE(prod.status == 0);
    truth = json::parse(slurp(truth_file));
    std::remove(truth_file.c_str());
    REQUIRE(truth["complete"].get<bool>());
    // Gaps: the thread halts at its first gap; every later record of the
    // thread is quarantined. Its records from the gap on are the sequences
    // first_gap..last, less what later gaps burned.
    std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> gaps;
    for (const auto& f : truth["faults"]) {
      auto kind = f["kind"].get<std::string>();
      if (kind == "corrupt") {
        ++corrupt;
        expected[src_id(f["partition"].get<int64_t>(),
                        std::stoll(f["offset"].get<std::string>()))] =
          error_type_of_kind.at(f["corruption"].get<std::string>());
      } else {
        REQUIRE(kind == "gap");
        auto th = f["thread_id"].get<std::string>();
        tenant_of_thread[th] = f["tenant"].get<std::string>();
        gaps[th].emplace_back(std::stoull(f["sequence"].get<std::string>()),
                              f["size"].get<uint64_t>());
      }
    }
    REQUIRE(corrupt == 12);
    REQUIRE_FALSE(gaps.empty());
    size_t halted = 0;
    for (auto& [th, gs] : gaps) {
      std::sort(gs.begin(), gs.end());
      auto last =
        std::stoull(truth["threads"]["last_sequence"][th].get<std::string>());
      uint64_t n = last - gs.front().first + 1;
      for (std::size_t i = 1; i < gs.size(); ++i) {
        n -= gs[i].second;
      }
      halted_by_thread[th] = n;
      halted_by_tenant[tenant_of_thread[th]] += n;
      halted += n;
    }
    // The source records, for the halted ones' positions and the payloads.
    auto src = kafka::read_topic(client, topic, 60s);
    REQUIRE(src);
    for (const auto& r : *src) {
      source_values[src_id(r.partition, r.offset)] = r.value;
    }
    // 2. The daemon, until the DLQ holds every rejected record durably.
    auto log = "/tmp/" + topic + "-daemon.log";
    test::temp_dir spool{"dlq-command-spool"};
    test::child_process d{{DS_DASHSTREAM_BIN, "run", "--brokers", brokers,
                           "--topic", topic, "--group-id", topic, "--port", "0",
                           "--set", "validation.policy=halt", "--set",
                           "dlq.include_payload=true", "--set",
                           "dlq.spool_dir=" + spool.str()},
                          log};
    REQUIRE(d.started());
    const auto want = static_cast<double>(corrupt + halted);
    auto stored = [&] {
      auto port = d.http_port();
      return port == 0 ? -1.0
                       : test::scrape_value(test::http_get(port, "/metrics"),
                                            "dashstream_dlq_records_total");
    };
    bool done = eventually([&] { return stored() >= want; }, 120s);
    INFO(d.log());
    REQUIRE(done);
    CHECK(stored() == want);
    d.signal(SIGTERM);
    CHECK(d.wait_exit(30s) == 0);
    std::filesystem::remove_all("/tmp/" + topic + "-spool");
    expected_halted = halted;
  }

  size_t expected_halted = 0;

  size_t total() const { return corrupt + expected_halted; }
};

json inspect(const filled_dlq& f, std::vector<std::string> extra) {
  std::vector<std::string> args{"dlq", "inspect"};
  auto b = f.base();
  args.insert(args.end(), b.begin(), b.end());
  args.insert(args.end(), extra.begin(), extra.end());
  args.emplace_back("--json");
  auto r = run_cli(args);
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto doc = r.doc();
  REQUIRE(doc.is_object());
  REQUIRE(doc["records"].size() == doc["matched"].get<size_t>());
  return doc;
}

} // namespace

TEST_CASE("dlq inspect and replay on a DLQ the daemon filled from corrupt "
          "records and halted threads",
          "[kafka]") {
  filled_dlq f;

  // -- inspect --json: every record, one entry each, the right error_type.
  auto all = inspect(f, {});
  CHECK(all["topic"] == f.dlq_topic);
  CHECK(all["scanned"].get<size_t>() == f.total());
  CHECK(all["matched"].get<size_t>() == f.total());
  CHECK(all["duplicates"] == 0);
  CHECK(all["malformed"] == 0);
  std::set<std::string> seen;
  std::map<std::string, size_t> halted_seen_by_thread;
  for (const auto& rec : all["records"]) {
    const auto& env = rec["envelope"];
    INFO(env.dump());
    CHECK(env["source_topic"] == f.topic);
    auto id = src_id(env["source_partition"].get<int64_t>(),
                     env["source_offset"].get<int64_t>());
    CHECK(seen.insert(id).second); // one entry per source record
    CHECK(f.source_values.count(id) == 1);
    auto type = env["error_type"].get<std::string>();
    if (auto it = f.expected.find(id); it != f.expected.end()) {
      // A corrupt record: decode stage, no thread or tenant to offer.
      CHECK(type == it->second);
      CHECK(env["stage"] == "decode");
      CHECK(env["thread_id"].is_null());
      CHECK(env["tenant_id"].is_null());
    } else {
      CHECK(type == "halted_thread");
      CHECK(env["stage"] == "validate");
      auto th = env["thread_id"].get<std::string>();
      REQUIRE(f.tenant_of_thread.count(th) == 1);
      CHECK(env["tenant_id"] == f.tenant_of_thread.at(th));
      ++halted_seen_by_thread[th];
    }
    // include_payload: the original bytes, decoded summary alongside.
    CHECK(env["original_payload_size"].get<size_t>() ==
          f.source_values[id].size());
    CHECK(rec.contains("decoded"));
  }
  for (const auto& [id, type] : f.expected) {
    CHECK(seen.count(id) == 1);
  }
  CHECK(halted_seen_by_thread == f.halted_by_thread);

  // -- filters narrow, and AND together.
  std::map<std::string, size_t> by_type;
  for (const auto& [id, type] : f.expected) {
    ++by_type[type];
  }
  by_type["halted_thread"] = f.expected_halted;
  CHECK(by_type.size() == 6); // five decode error types + halted_thread
  for (const auto& [type, n] : by_type) {
    INFO(type);
    auto doc = inspect(f, {"--error-type", type});
    CHECK(doc["matched"].get<size_t>() == n);
    CHECK(doc["scanned"].get<size_t>() == f.total());
    for (const auto& rec : doc["records"]) {
      CHECK(rec["envelope"]["error_type"] == type);
    }
  }
  CHECK(inspect(f, {"--error-type", "no_such_type"})["matched"] == 0);
  for (const auto& [th, n] : f.halted_by_thread) {
    INFO(th);
    auto doc = inspect(f, {"--thread", th});
    CHECK(doc["matched"].get<size_t>() == n);
    for (const auto& rec : doc["records"]) {
      CHECK(rec["envelope"]["thread_id"] == th);
    }
  }
  for (const auto& tenant : {"tenant-0", "tenant-1"}) {
    INFO(tenant);
    auto it = f.halted_by_tenant.find(tenant);
    size_t n = it == f.halted_by_tenant.end() ? 0 : it->second;
    auto doc = inspect(f, {"--tenant", tenant});
    CHECK(doc["matched"].get<size_t>() == n);
    for (const auto& rec : doc["records"]) {
      CHECK(rec["envelope"]["tenant_id"] == tenant);
    }
    // AND: a tenant's records are all halted_thread, none invalid_format.
    CHECK(inspect(
            f, {"--tenant", tenant, "--error-type", "halted_thread"})["matched"]
            .get<size_t>() == n);
    CHECK(inspect(f, {"--tenant", tenant, "--error-type",
                      "invalid_format"})["matched"] == 0);
  }
  CHECK(inspect(f, {"--limit", "3"})["matched"] == 3);
  CHECK(inspect(f, {"--since", "2200-01-01T00:00:00Z"})["matched"] == 0);
  CHECK(inspect(f, {"--until", "2000-01-01T00:00:00Z"})["matched"] == 0);
  CHECK(
    inspect(f, {"--since", "2000-01-01T00:00:00Z"})["matched"].get<size_t>() ==
    f.total());

  // -- the table: a header and one row per record; the count on stderr.
  {
    std::vector<std::string> args{"dlq", "inspect"};
    auto b = f.base();
    args.insert(args.end(), b.begin(), b.end());
    args.insert(args.end(), {"--error-type", "invalid_format"});
    auto r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto rows = lines_of(r.out);
    REQUIRE(rows.size() == by_type["invalid_format"] + 1);
    CHECK(rows[0].rfind("DLQ P/OFF", 0) == 0);
    for (const char* col : {"TIMESTAMP", "ERROR_TYPE", "TENANT", "THREAD",
                            "SOURCE", "DECODED", "ERROR"}) {
      CHECK(rows[0].find(col) != std::string::npos);
    }
    for (std::size_t i = 1; i < rows.size(); ++i) {
      CHECK(rows[i].find("invalid_format") != std::string::npos);
      // SOURCE is the record id, clipped to the column.
      CHECK(rows[i].find(f.topic.substr(0, 20)) != std::string::npos);
    }
    CHECK(r.err.find(std::to_string(by_type["invalid_format"]) +
                     " matching of " + std::to_string(f.total()) +
                     " records in " + f.dlq_topic) != std::string::npos);
  }

  // -- replay, dry run: counts, and nothing reaches the target.
  auto dry_topic = f.topic + "-replay-dry";
  auto real_topic = f.topic + "-replay";
  for (const auto& t : {dry_topic, real_topic}) {
    REQUIRE_FALSE(kafka::create_topic(f.client, t, 2, 1, 30s));
  }
  {
    std::vector<std::string> args{"dlq", "replay"};
    auto b = f.base();
    args.insert(args.end(), b.begin(), b.end());
    args.insert(args.end(), {"--to", dry_topic, "--json"});
    auto r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto rep = r.doc();
    CHECK(rep["execute"] == false);
    CHECK(rep["dlq_topic"] == f.dlq_topic);
    CHECK(rep["to_topic"] == dry_topic);
    CHECK(rep["selected"].get<size_t>() == f.total());
    CHECK(rep["replayable"].get<size_t>() == f.total());
    CHECK(rep["sent"] == 0);
    // The text form says it is a dry run.
    args.pop_back();
    auto text = run_cli(args);
    CHECK(text.status == 0);
    CHECK(text.out.find("dry run: would replay " + std::to_string(f.total())) !=
          std::string::npos);
    CHECK(text.out.find("pass --execute to send") != std::string::npos);
    auto marks = kafka::watermarks(f.client, dry_topic, 30s);
    REQUIRE(marks);
    for (const auto& wm : *marks) {
      CHECK(wm.high == 0);
    }
  }

  // -- replay --execute of one error type into a fresh topic: the original
  // key, value and headers, plus provenance headers.
  {
    std::vector<std::string> args{"dlq", "replay"};
    auto b = f.base();
    args.insert(args.end(), b.begin(), b.end());
    args.insert(args.end(), {"--to", real_topic, "--error-type",
                             "invalid_format", "--execute", "--json"});
    auto r = run_cli(args);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto rep = r.doc();
    const auto n = by_type["invalid_format"];
    CHECK(rep["execute"] == true);
    CHECK(rep["selected"].get<size_t>() == n);
    CHECK(rep["sent"].get<size_t>() == n);
    CHECK(rep["failed"] == 0);
    auto replayed = kafka::read_topic(f.client, real_topic, 60s);
    REQUIRE(replayed);
    REQUIRE(replayed->size() == n);
    // DLQ offsets of the invalid_format records, by source position.
    std::map<std::string, std::string> dlq_pos_of_source;
    for (const auto& rec : all["records"]) {
      const auto& env = rec["envelope"];
      dlq_pos_of_source[env["record_id"].get<std::string>()] =
        std::to_string(rec["dlq_partition"].get<int>()) + "/" +
        std::to_string(rec["dlq_offset"].get<int64_t>());
    }
    std::set<std::string> ids;
    for (const auto& rec : *replayed) {
      std::map<std::string, std::string> h;
      for (const auto& hd : rec.headers) {
        h[hd.name] = hd.value;
      }
      INFO(json(h).dump());
      CHECK(h["dashstream.replay.dlq_topic"] == f.dlq_topic);
      CHECK(h["dashstream.replay.error_type"] == "invalid_format");
      auto rid = h["dashstream.replay.record_id"];
      CHECK(ids.insert(rid).second);
      REQUIRE(dlq_pos_of_source.count(rid) == 1);
      CHECK(h["dashstream.replay.dlq_partition"] + "/" +
              h["dashstream.replay.dlq_offset"] ==
            dlq_pos_of_source[rid]);
      // record_id is "<topic>/<partition>/<offset>" of the source record.
      REQUIRE(rid.rfind(f.topic + "/", 0) == 0);
      auto pos = rid.substr(f.topic.size() + 1);
      REQUIRE(f.expected.count(pos) == 1);
      CHECK(f.expected.at(pos) == "invalid_format");
      CHECK(rec.value == f.source_values[pos]);
      // The DLQ's own Connect headers are not replayed.
      for (const auto& [name, value] : h) {
        CHECK(name.rfind("__connect.", 0) != 0);
        CHECK(name.rfind("dashstream.dlq.", 0) != 0);
      }
    }
    CHECK(ids.size() == n);
  }

  // -- bad flags and impossible requests: a message and the exit code.
  auto fails = [&](const std::vector<std::string>& args, int code,
                   const std::string& says) {
    auto r = run_cli(args);
    INFO(r.out << r.err);
    CHECK(r.status == code);
    CHECK(r.err.find(says) != std::string::npos);
  };
  const int usage = 64;  // exit_usage (EX_USAGE)
  const int failure = 1; // exit_failure
  auto with_base = [&](std::vector<std::string> head,
                       std::vector<std::string> tail) {
    auto b = f.base();
    head.insert(head.end(), b.begin(), b.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  fails(with_base({"dlq", "inspect"}, {"--since", "yesterday"}), usage,
        "not an RFC 3339 time: \"yesterday\"");
  fails(with_base({"dlq", "inspect"}, {"--until", "2024-13-45T99:00:00Z"}),
        usage, "not an RFC 3339 time");
  fails(with_base({"dlq", "inspect"}, {"--since", "2999-01-01T00:00:00Z"}),
        usage, "not an RFC 3339 time");
  fails(with_base({"dlq", "inspect"}, {"--no-such-flag"}), usage,
        "--no-such-flag");
  fails({"dlq", "inspect", "--brokers", f.brokers, "--timeout-secs", "0"},
        usage, "--timeout-secs");
  fails({"dlq", "inspect", "--brokers", f.brokers, "--limit", "many"}, usage,
        "--limit");
  fails({"dlq"}, usage, "subcommand");
  fails(with_base({"dlq", "replay"}, {"--to", f.dlq_topic}), usage,
        "would loop");
  fails({"dlq", "inspect", "--brokers", "127.0.0.1:1", "--topic", f.topic,
         "--timeout-secs", "3"},
        failure, "error: cannot read " + f.dlq_topic);
}

TEST_CASE("dlq spool status on an empty and a non-empty spool directory",
          "[kafka]") {
  auto dir = "/tmp/" + unique_name("dlq-cmd-spool");
  std::filesystem::create_directories(dir);
  auto status = [&](bool as_json) {
    std::vector<std::string> args{"dlq", "spool", "status", "--dir", dir};
    if (as_json) {
      args.emplace_back("--json");
    }
    return run_cli(args);
  };
  {
    auto r = status(true);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    auto doc = r.doc();
    CHECK(doc["dir"] == dir);
    CHECK(doc["records"] == 0);
    CHECK(doc["bytes"] == 0);
    CHECK(doc["oldest_age_seconds"] == 0);
    CHECK(doc["problems"].empty());
    auto text = status(false);
    CHECK(text.status == 0);
    CHECK(text.out.find("spool " + dir + ": 0 records") != std::string::npos);
  }
  // Three DLQ records in the spool's own format, as the sink spools them
  // when Kafka is down.
  {
    spool::spool_config cfg;
    cfg.dir = dir;
    auto sp = spool::spool::open(cfg);
    REQUIRE(sp);
    for (int i = 0; i < 3; ++i) {
      dlq::rejected_record r;
      r.source_topic = "spooled";
      r.offset = i;
      r.payload = "\x02not-a-record";
      r.error_type = "invalid_format";
      r.error = "bad framing byte";
      r.stage = "decode";
      auto rec = dlq::make_dlq_record(r, "spooled-dlq", {},
                                      std::chrono::system_clock::now());
      REQUIRE((*sp)->append(rec.bytes()));
    }
  }
  auto r = status(true);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  auto doc = r.doc();
  CHECK(doc["records"] == 3);
  CHECK(doc["bytes"].get<uint64_t>() > 0);
  CHECK(doc["segments"].get<uint64_t>() >= 1);
  CHECK(doc["oldest_age_seconds"].get<double>() >= 0);
  CHECK(doc["problems"].empty());
  auto text = status(false);
  CHECK(text.status == 0);
  CHECK(text.out.find("spool " + dir + ": 3 records") != std::string::npos);
  CHECK(text.out.find("read-only, nothing was changed") != std::string::npos);
  // Read-only: a second look sees the same.
  CHECK(status(true).doc()["records"] == 3);
  // A directory that is not there: an error, not an empty report.
  std::filesystem::remove_all(dir);
  auto missing = status(true);
  INFO(missing.out << missing.err);
  CHECK(missing.status != 0);
  CHECK(missing.err.find("error:") != std::string::npos);
}

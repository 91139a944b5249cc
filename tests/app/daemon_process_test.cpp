// The real `dashstream run` binary as separate processes in one consumer
// group, against the real broker: a SIGTERM hand-over and a kill -9. The
// proof of "nothing lost" is independent of the commits under test: the
// producer mixes in corrupt records and keeps where each one landed, and
// every one of them must be in the DLQ (a record the daemon processed),
// exactly once after a clean hand-over, at least once after a kill -9.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/memory_plan.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/kafka/admin.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/kafka_env.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/workload/sender.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;

namespace {

std::string unique_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd()) + std::to_string(rd());
}

struct cluster_setup {
  std::string brokers = test::kafka_bootstrap();
  std::string topic = unique_name("proc-it");
  std::string group = unique_name("proc-group");
  kafka::client_config client{brokers, {}};
  test::temp_dir spools{"proc-it-spools"};
};

std::unique_ptr<test::child_process>
start_daemon(const cluster_setup& s, const std::string& name,
             const std::vector<std::string>& settings = {}) {
  auto log = "/tmp/" + s.topic + "-" + name + ".log";
  std::vector<std::string> argv{
    DS_DASHSTREAM_BIN, "run", "--brokers", s.brokers, "--topic", s.topic,
    "--group-id", s.group, "--port", "0", "--set",
    "kafka.lag_check_interval_secs=1",
    // Each process its own DLQ spool: a spool directory is locked.
    "--set", "dlq.spool_dir=" + s.spools.sub(name)};
  for (const auto& kv : settings) {
    argv.emplace_back("--set");
    argv.push_back(kv);
  }
  auto p = std::make_unique<test::child_process>(argv, log);
  REQUIRE(p->started());
  return p;
}

double scrape(const test::child_process& p, const std::string& key) {
  auto port = p.http_port();
  return port == 0 ? -1
                   : test::scrape_value(test::http_get(port, "/metrics"), key);
}

/// Records by (partition, offset).
using record_set = std::set<std::pair<int32_t, int64_t>>;

// Produces `count` records at `rate` on a background thread.
// `rate` 0 = as fast as the producer goes. With `corrupt`, also
// `per_kind` undecodable records of two kinds, whose places it fills in.
std::thread produce_async(const cluster_setup& s, uint64_t count, double rate,
                          std::atomic<bool>& ok, uint32_t size = 200,
                          record_set* corrupt = nullptr,
                          uint64_t per_kind = 0) {
  return std::thread([&s, count, rate, &ok, size, corrupt, per_kind] {
    prometheus::Registry reg;
    workload::workload_config w;
    w.count = count;
    w.threads = 300;
    w.size = size;
    w.seed = 3;
    if (corrupt != nullptr) {
      auto spec = workload::parse_corruption_spec(
        "bad_framing_byte:" + std::to_string(per_kind) +
          ",truncated_protobuf:" + std::to_string(per_kind),
        count);
      REQUIRE(spec);
      w.corrupt = *spec;
    }
    producer::producer_config pcfg;
    pcfg.kafka.client = s.client;
    pcfg.topic = s.topic;
    auto snd = workload::sender::make(w, pcfg, reg);
    ok = snd && (*snd)->run(rate).ok();
    if (snd && corrupt != nullptr) {
      for (const auto& f : (*snd)->truth().faults()) {
        if (f.kind == workload::fault_kind::corrupt) {
          corrupt->insert({f.partition, f.offset});
        }
      }
    }
  });
}

// How many times each source record is in the DLQ topic.
std::map<std::pair<int32_t, int64_t>, int> dlq_sources(const cluster_setup& s) {
  auto listing = dlq_store::read_dlq(s.client, s.topic + "-dlq",
                                     dlq_store::dlq_filter{}, 30s);
  REQUIRE(listing);
  std::map<std::pair<int32_t, int64_t>, int> out;
  for (const auto& e : listing->entries) {
    ++out[{e.envelope["source_partition"].get<int32_t>(),
           e.envelope["source_offset"].get<int64_t>()}];
  }
  return out;
}

} // namespace

TEST_CASE("two daemons split the partitions, one is stopped with SIGTERM "
          "mid-stream and the other takes over",
          "[kafka]") {
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 6, 1, 30s));
  auto a = start_daemon(s, "a");
  auto b = start_daemon(s, "b");
  const std::string assigned = "dashstream_partitions_assigned";
  REQUIRE(eventually([&] {
    auto na = scrape(*a, assigned);
    auto nb = scrape(*b, assigned);
    return na > 0 && nb > 0 && na + nb == 6;
  }));
  std::atomic<bool> produced{false};
  record_set corrupt;
  auto producer =
    produce_async(s, 60'000, 12'000, produced, 200, &corrupt, 300);
  REQUIRE(
    eventually([&] { return scrape(*a, "dashstream_records_total") > 1000; }));
  a->signal(SIGTERM);
  auto status = a->wait_exit(20s);
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(a->log().find("partition_revoked") != std::string::npos);
  // Every log line is one JSON object, librdkafka's included.
  std::istringstream lines{a->log()};
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    INFO(line);
    auto j = nlohmann::json::parse(line, nullptr, false);
    CHECK((j.is_object() && j.contains("level") && j.contains("msg")));
  }
  CHECK(n > 0);
  producer.join();
  REQUIRE(produced);
  CHECK(eventually([&] { return scrape(*b, assigned) == 6; }));
  CHECK(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); }));
  b->signal(SIGTERM);
  CHECK(b->wait_exit(20s) == 0);
  // The producer's ground truth: each of its 600 corrupt records was
  // processed, by a or by b, exactly once: a clean hand-over repeats
  // nothing, and the DLQ holds nothing else.
  REQUIRE(corrupt.size() == 600);
  auto dlq = dlq_sources(s);
  std::size_t missing = 0;
  std::size_t repeated = 0;
  for (const auto& r : corrupt) {
    auto it = dlq.find(r);
    missing += it == dlq.end() ? 1 : 0;
    repeated += it != dlq.end() && it->second > 1 ? 1 : 0;
  }
  CHECK(missing == 0);
  CHECK(repeated == 0);
  CHECK(dlq.size() == corrupt.size());
}

TEST_CASE("kill -9 mid-stream, then restart: nothing is lost", "[kafka]") {
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 6, 1, 30s));
  auto a = start_daemon(s, "a");
  REQUIRE(eventually(
    [&] { return scrape(*a, "dashstream_partitions_assigned") == 6; }));
  std::atomic<bool> produced{false};
  record_set corrupt;
  auto producer =
    produce_async(s, 60'000, 12'000, produced, 200, &corrupt, 300);
  REQUIRE(
    eventually([&] { return scrape(*a, "dashstream_records_total") > 5000; }));
  a->signal(SIGKILL);
  CHECK(a->wait_exit(10s) == 128 + SIGKILL);
  producer.join();
  REQUIRE(produced);
  // Whatever the killed process had not committed is still to be done.
  auto marks = kafka::watermarks(s.client, s.topic, 10s);
  auto before = kafka::committed_offsets(s.client, s.group, s.topic, 10s);
  REQUIRE(marks);
  REQUIRE(before);
  int64_t remaining = 0;
  for (const auto& wm : *marks) {
    auto c = (*before)[static_cast<std::size_t>(wm.partition)];
    remaining += wm.high - (c < 0 ? wm.low : c);
  }
  CHECK(remaining > 0);
  auto a2 = start_daemon(s, "a2");
  CHECK(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); }));
  a2->signal(SIGTERM);
  CHECK(a2->wait_exit(20s) == 0);
  // The producer's ground truth, not the commits: each of its 600 corrupt
  // records was processed (is in the DLQ) at least once, by a before the
  // kill or by a2 after it, and the DLQ holds nothing else.
  REQUIRE(corrupt.size() == 600);
  auto dlq = dlq_sources(s);
  std::size_t missing = 0;
  for (const auto& r : corrupt) {
    missing += dlq.count(r) == 0 ? 1 : 0;
  }
  CHECK(missing == 0);
  for (const auto& entry : dlq) {
    CHECK(corrupt.count(entry.first) == 1);
  }
}

TEST_CASE("a producer faster than the daemon: partitions pause and resume, "
          "and the peak RSS stays within the memory budget",
          "[kafka]") {
  // 128 MiB for the whole process, and a backlog already waiting: the
  // fastest producer there is. The record-count budget is set high so that
  // only the byte budget can pause partitions.
  const long long budget = 128ll << 20;
  // 250 MB of 1 KiB records; and 100 B records, where librdkafka's own
  // cost per queued message outweighs the record (memory_plan.hpp).
  auto [count, size] = GENERATE(std::pair<uint64_t, uint32_t>{250'000, 1024},
                                std::pair<uint64_t, uint32_t>{1'000'000, 100});
  CAPTURE(count, size);
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 6, 1, 30s));
  std::atomic<bool> produced{false};
  produce_async(s, count, 0, produced, size).join();
  REQUIRE(produced);
  auto a =
    start_daemon(s, "mem",
                 {"pipeline.memory_budget_bytes=" + std::to_string(budget),
                  "pipeline.partition_inflight_max=1000000",
                  "pipeline.partition_inflight_low_water=500000"});
  REQUIRE(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); },
    240s));
  auto peak = a->proc_status_bytes("VmHWM");
  auto pauses = scrape(*a, "dashstream_partition_pauses_total");
  auto resumes = scrape(*a, "dashstream_partition_resumes_total");
  WARN("memory budget " << budget << " B, peak RSS " << peak << " B ("
                        << (100.0 * static_cast<double>(peak) /
                            static_cast<double>(budget))
                        << " %), pauses " << pauses << ", resumes " << resumes);
  CHECK(scrape(*a, "dashstream_records_total") >= static_cast<double>(count));
  if (size == 1024) {
    // At 100 B librdkafka's prefetch limit (32k messages at this budget)
    // may throttle intake before the readers reach the pause mark.
    CHECK(pauses > 0);
    CHECK(resumes > 0);
  }
#ifdef DS_TEST_JEMALLOC
  // How much of what the process holds now the allocator keeps for reuse:
  // with freed pages handed back at once, little (docs/tuning.md).
  auto allocated =
    scrape(*a, "dashstream_allocator_bytes{state=\"allocated\"}");
  auto resident = scrape(*a, "dashstream_allocator_bytes{state=\"resident\"}");
  WARN("after the backlog: allocator allocated "
       << allocated << " B, resident " << resident << " B, purges "
       << scrape(*a, "dashstream_allocator_purges_total"));
  CHECK(allocated > 0);
  CHECK(resident >= allocated);
#endif
  CHECK(peak > 0);
  CHECK(peak <= budget);
  a->signal(SIGTERM);
  CHECK(a->wait_exit(20s) == 0);
}

TEST_CASE("an idle daemon's peak RSS stays within the fixed cost that the "
          "memory plan takes off the budget",
          "[kafka]") {
  // Everything but records: partitions assigned (a reader each), the DLQ
  // producer and spool, HTTP, the actor system, scrapes answered.
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 12, 1, 30s));
  auto a = start_daemon(s, "idle");
  REQUIRE(eventually(
    [&] { return scrape(*a, "dashstream_partitions_assigned") == 12; }));
  // A few lag checks (one a second) and scrapes.
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(500ms);
    CHECK(scrape(*a, "dashstream_process_resident_memory_bytes") > 0);
  }
  auto peak = a->proc_status_bytes("VmHWM");
  WARN("idle peak RSS " << peak << " B, fixed cost " << app::process_fixed_bytes
                        << " B");
  CHECK(peak > 0);
  CHECK(peak <= static_cast<long long>(app::process_fixed_bytes));
  // The gauge reports the same figure (read before it, so at most equal).
  auto reported = scrape(*a, "dashstream_process_resident_memory_max_bytes");
  CHECK(reported >= static_cast<double>(peak));
  CHECK(reported <= static_cast<double>(a->proc_status_bytes("VmHWM")));
  a->signal(SIGTERM);
  CHECK(a->wait_exit(20s) == 0);
}

#ifdef DS_TEST_JEMALLOC
TEST_CASE("free pages the allocator keeps are handed back past their share "
          "of the memory budget, even when jemalloc would keep them all",
          "[kafka]") {
  // jemalloc told never to hand freed pages back: only the governor can.
  // 96 MiB: 48 MiB vary, an eighth of that (6 MiB) for kept free pages.
  const std::size_t kept_max = 6u << 20;
  const long long budget = 96ll << 20;
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 6, 1, 30s));
  std::atomic<bool> produced{false};
  produce_async(s, 60'000, 0, produced, 1024).join();
  REQUIRE(produced);
  REQUIRE(setenv("MALLOC_CONF", "dirty_decay_ms:-1,muzzy_decay_ms:-1", 1) == 0);
  auto a = start_daemon(
    s, "kept", {"pipeline.memory_budget_bytes=" + std::to_string(budget)});
  unsetenv("MALLOC_CONF");
  REQUIRE(eventually(
    [&] { return ds::test::committed_to_end(s.client, s.group, s.topic); },
    120s));
  auto purges = scrape(*a, "dashstream_allocator_purges_total");
  auto purged = scrape(*a, "dashstream_allocator_purged_bytes_total");
  auto peak = a->proc_status_bytes("VmHWM");
  WARN("purges " << purges << " (" << purged << " B), peak RSS " << peak
                 << " B of " << budget);
  CHECK(purges > 0);
  CHECK(purged > static_cast<double>(kept_max));
  CHECK(peak <= budget);
  // Idle now: within a few checks what is kept is under the cap.
  CHECK(eventually(
    [&] {
      return scrape(*a, "dashstream_allocator_bytes{state=\"dirty\"}") <=
             static_cast<double>(kept_max);
    },
    5s));
  a->signal(SIGTERM);
  CHECK(a->wait_exit(20s) == 0);
}
#endif

TEST_CASE("the dispatch window: the consumer stops polling while the "
          "pipeline holds pipeline.dispatch_window_bytes, and the backlog "
          "still completes",
          "[kafka]") {
  // 30k records of 1 KiB, about 38 MB as the consumer counts held bytes
  // (value, key, 256 B per record): far more than a 1 MiB window.
  const uint64_t count = 30'000;
  const uint32_t size = 1024;
  const auto window = GENERATE(0ull, 1ull << 20);
  CAPTURE(window);
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 4, 1, 30s));
  std::atomic<bool> produced{false};
  produce_async(s, count, 0, produced, size).join();
  REQUIRE(produced);
  // Forced polls (one per interval while the window is full) made rare, so
  // that the bound below is the window plus the poll that filled it.
  auto a =
    start_daemon(s, "window",
                 {"pipeline.dispatch_window_bytes=" + std::to_string(window),
                  "pipeline.dispatch_window_poll_ms=5000"});
  // The gauge is sampled every few milliseconds (the offsets, a slower
  // question to the broker, every 50th time) so that the run is seen.
  double peak = 0;
  int n = 0;
  REQUIRE(eventually(
    [&] {
      peak = std::max(peak, scrape(*a, "dashstream_records_in_flight_bytes"));
      return ++n % 50 == 0 &&
             ds::test::committed_to_end(s.client, s.group, s.topic);
    },
    120s, 2ms));
  auto waited = scrape(*a, "dashstream_dispatch_window_wait_seconds_total");
  WARN("window " << window << " B: peak in-flight bytes seen " << peak
                 << ", consumer waited " << waited << " s");
  CHECK(scrape(*a, "dashstream_records_total") >= static_cast<double>(count));
  CHECK(peak > 0); // the samples saw records in flight
  if (window == 0) {
    CHECK(waited == 0);
  } else {
    CHECK(waited > 0);
    // One poll (at most 1000 records) may cross the window; a second only
    // after dispatch_window_poll_ms. Keys are under 64 B.
    const double one_poll = 1000.0 * (size + 64 + 256);
    CHECK(peak <= static_cast<double>(window) + 2 * one_poll);
  }
  a->signal(SIGTERM);
  CHECK(a->wait_exit(20s) == 0);
}

TEST_CASE("librdkafka's prefetch limits come from the memory budget, and "
          "kafka.properties overrides them",
          "[kafka]") {
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 1, 1, 30s));
  // The line where the daemon logs what it hands librdkafka.
  auto plan_line = [](const test::child_process& p) {
    std::string line;
    eventually([&] {
      auto text = p.log();
      auto at = text.find("\"event\":\"memory_plan\"");
      if (at == std::string::npos) {
        return false;
      }
      auto begin = text.rfind('\n', at);
      line = text.substr(begin == std::string::npos ? 0 : begin + 1,
                         text.find('\n', at) - begin);
      return true;
    });
    return line;
  };
  // 96 MiB, 48 MiB once the fixed cost is off: a quarter of that for the
  // prefetch, half of it for keys and values (6144 KiB) and half for 320 B
  // per message (19 660 messages); an eighth for a fetch.
  auto a = start_daemon(s, "plan", {"pipeline.memory_budget_bytes=96MiB"});
  auto line = plan_line(*a);
  INFO(line);
  CHECK(line.find("\"queued.min.messages\":\"19660\"") != std::string::npos);
  CHECK(line.find("\"queued.max.messages.kbytes\":\"6144\"") !=
        std::string::npos);
  CHECK(line.find("\"fetch.max.bytes\":\"6291456\"") != std::string::npos);
  a->signal(SIGTERM);
  CHECK(a->wait_exit(20s) == 0);
  auto b =
    start_daemon(s, "override",
                 {"pipeline.memory_budget_bytes=96MiB",
                  "kafka.properties={\"queued.min.messages\" = \"5000\"}"});
  line = plan_line(*b);
  INFO(line);
  CHECK(line.find("\"queued.min.messages\":\"5000\"") != std::string::npos);
  CHECK(line.find("\"queued.max.messages.kbytes\":\"6144\"") !=
        std::string::npos);
  b->signal(SIGTERM);
  CHECK(b->wait_exit(20s) == 0);
}

TEST_CASE("SIGTERM while the broker is frozen: the daemon still exits by "
          "pipeline.shutdown_timeout_secs",
          "[kafka]") {
  // A standalone broker this test can freeze (SIGSTOP): connections stay
  // open and nothing answers, the worst case for leaving a group.
  auto topic = unique_name("frozen");
  auto mock_log = "/tmp/" + topic + "-mock.log";
  test::child_process mock{
    {DS_DASHSTREAM_BIN, "kafka-mock", "--topic", topic, "--partitions", "2"},
    mock_log};
  REQUIRE(mock.started());
  std::string brokers;
  REQUIRE(eventually(
    [&] {
      std::istringstream in{mock.log()};
      for (std::string line; std::getline(in, line);) {
        if (line.rfind("127.0.0.1:", 0) == 0) {
          brokers = line;
          return true;
        }
      }
      return false;
    },
    30s));
  auto log = "/tmp/" + topic + "-daemon.log";
  test::child_process d{{DS_DASHSTREAM_BIN, "run", "--brokers", brokers,
                         "--topic", topic, "--group-id", topic, "--port", "0",
                         "--set", "pipeline.shutdown_timeout_secs=3"},
                        log};
  REQUIRE(d.started());
  auto assigned = [&] {
    auto port = d.http_port();
    return port != 0 &&
           test::scrape_value(test::http_get(port, "/metrics"),
                              "dashstream_partitions_assigned") == 2;
  };
  REQUIRE(eventually(assigned, 60s));
  mock.signal(SIGSTOP);
  d.signal(SIGTERM);
  // The hang guard is far beyond the 3 s deadline; the daemon's own log
  // says which way it left.
  auto sent = std::chrono::steady_clock::now();
  auto status = d.wait_exit(30s);
  auto took = std::chrono::steady_clock::now() - sent;
  mock.signal(SIGCONT);
  REQUIRE(status);
  auto text = d.log();
  bool clean = text.find("shutdown_complete") != std::string::npos;
  bool deadline = text.find("shutdown_deadline_exceeded") != std::string::npos;
  INFO(text);
  CHECK((clean ? *status == 0 : *status == 1));
  CHECK((clean || deadline));
  // By the 3 s deadline (a margin for process exit on a loaded machine).
  CHECK(took < 6s);
}

TEST_CASE("SIGTERM while every scheduler thread is wedged: the process ends "
          "at pipeline.shutdown_timeout_secs, not when the wedge ends",
          "[kafka]") {
  // dashstream-faults: a record keyed ds-test-hook-wedge blocks the one
  // scheduler thread for 60 s, so the drain cannot finish; only the
  // shutdown deadline (3 s) ends the process in time.
  cluster_setup s;
  REQUIRE_FALSE(kafka::create_topic(s.client, s.topic, 1, 1, 30s));
  auto log = "/tmp/" + s.topic + "-wedged.log";
  test::child_process d{{DS_DASHSTREAM_FAULTS_BIN, "run", "--brokers",
                         s.brokers, "--topic", s.topic, "--group-id", s.group,
                         "--port", "0", "--set", "pipeline.scheduler_threads=1",
                         "--set", "pipeline.shutdown_timeout_secs=3", "--set",
                         "dlq.spool_dir=" + s.spools.sub("wedged")},
                        log};
  REQUIRE(d.started());
  REQUIRE(eventually([&] {
    auto port = d.http_port();
    return port != 0 &&
           test::scrape_value(test::http_get(port, "/metrics"),
                              "dashstream_partitions_assigned") == 1;
  }));
  {
    prometheus::Registry reg;
    producer::producer_config pcfg;
    pcfg.kafka.client = s.client;
    pcfg.topic = s.topic;
    auto p = producer::producer::make(pcfg, reg);
    REQUIRE(p);
    REQUIRE_FALSE((*p)->send_raw("ds-test-hook-wedge", "60000"));
    REQUIRE_FALSE((*p)->flush(30s));
  }
  REQUIRE(eventually(
    [&] { return d.log().find("fault hook: wedging") != std::string::npos; }));
  d.signal(SIGTERM);
  auto sent = std::chrono::steady_clock::now();
  auto status = d.wait_exit(30s);
  auto took = std::chrono::steady_clock::now() - sent;
  REQUIRE(status);
  INFO(d.log());
  CHECK(*status == 1);
  CHECK(d.log().find("shutdown_deadline_exceeded") != std::string::npos);
  CHECK(took >= 3s);
  CHECK(took < 6s);
}

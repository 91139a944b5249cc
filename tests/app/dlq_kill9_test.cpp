// kill -9 of the real `dashstream run` process while it spools DLQ records,
// at random moments, again and again (DS_DLQ_KILLS, default 12 in CI; README
// "Longer runs"). The test owns a two-broker embedded cluster, so it outlives
// every daemon: the DLQ's partitions lead on broker 2, which stays down until
// the end, the source topic and the group on broker 1. Corrupt records keep
// arriving from a producer thread that records where each landed. Every daemon
// must come up (no crash loop), recover at least every record the one before
// it had spooled, and repair and count the torn tail the test appends to the
// newest segment after each kill; then it is killed. Finally broker 2 returns
// and one more daemon drains the spool and processes the rest: every corrupt
// record is in the DLQ topic at least once (duplicates are allowed, and the DLQ
// reader counts exactly those) and the spool ends empty. DS_DLQ_KILL_SEED
// replays a run's kill timings.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "runtime/spool/spool.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/process.hpp"
#include "tools/workload/sender.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;

namespace {

using corrupt_set = std::set<std::pair<int32_t, int64_t>>;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

/// Produces a batch of records, some corrupt, every `pause` until stopped;
/// keeps the ground truth of where the corrupt ones landed.
class feeder {
public:
  feeder(std::string brokers, std::string topic, std::string prefix)
    : brokers_(std::move(brokers)), topic_(std::move(topic)),
      prefix_(std::move(prefix)) {}

  ~feeder() { stop(); }

  void start(std::chrono::milliseconds pause) {
    thread_ = std::thread([this, pause] {
      while (!stop_) {
        batch();
        for (auto t = 0ms; t < pause && !stop_; t += 50ms) {
          std::this_thread::sleep_for(50ms);
        }
      }
    });
  }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  /// One batch, synchronously (also what the thread runs).
  void batch() {
    prometheus::Registry reg;
    workload::workload_config w;
    // Small batches: the embedded broker keeps only ~5 MiB per partition,
    // and nothing may age out before a daemon reads it.
    w.count = 50;
    w.threads = 10;
    w.seed = ++round_;
    w.thread_prefix = prefix_ + std::to_string(round_) + "-";
    w.corrupt.fill(1);      // one of each kind
    w.bomb_size = 16 << 20; // declared size only; small on the wire
    producer::producer_config pcfg;
    pcfg.kafka.client.brokers = brokers_;
    pcfg.topic = topic_;
    auto snd = workload::sender::make(w, pcfg, reg);
    if (!snd) {
      failed_ = true;
      return;
    }
    auto res = (*snd)->run(0);
    std::lock_guard guard{mu_};
    if (!res.ok()) {
      failed_ = true;
    }
    sent_ += res.sent;
    for (const auto& f : (*snd)->truth().faults()) {
      if (f.kind == workload::fault_kind::corrupt) {
        corrupt_.emplace(f.partition, f.offset);
      }
    }
  }

  corrupt_set corrupt() const {
    std::lock_guard guard{mu_};
    return corrupt_;
  }
  uint64_t sent() const {
    std::lock_guard guard{mu_};
    return sent_;
  }
  bool failed() const { return failed_; }

private:
  std::string brokers_;
  std::string topic_;
  std::string prefix_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  uint64_t round_ = 0;
  mutable std::mutex mu_;
  corrupt_set corrupt_;
  uint64_t sent_ = 0;
};

double scrape(const test::child_process& p, const std::string& key) {
  auto port = p.http_port();
  if (port == 0) {
    return -1;
  }
  auto text = test::http_get(port, "/metrics");
  return text.empty() ? -1 : test::scrape_value(text, key);
}

} // namespace

TEST_CASE("kill -9 while spooling, at random moments, again and again: no "
          "DLQ record lost and no crash loop, duplicates counted",
          "[mock]") {
  const auto kills = env_or("DS_DLQ_KILLS", 12);
  std::random_device rd;
  const auto seed = env_or("DS_DLQ_KILL_SEED", rd());
  std::mt19937_64 rng{seed};
  // Up to 6 s: kills before and after the first offset commit (librdkafka's
  // auto-commit runs every 5 s).
  std::uniform_int_distribution<int> delay_ms{0, 6000};
  WARN("DS_DLQ_KILL_SEED=" << seed << " DS_DLQ_KILLS=" << kills);
  auto id = std::to_string(rd());
  const std::string topic = "kill9-" + id;
  const std::string dlq_topic = topic + "-dlq";
  const std::string group = "kill9-group-" + id;
  // One spool for every incarnation: what one spooled, the next recovers.
  const std::string spool_dir = "/tmp/" + topic + "-spool";

  // The DLQ topic gets many partitions: every incarnation rejects again
  // what was not committed before its kill, so the DLQ receives thousands
  // of duplicates, and the embedded broker keeps only ~5 MiB per partition.
  // With two DLQ partitions a run (seed 2756555240) overflowed them and the
  // broker dropped the oldest DLQ records, which read as lost.
  auto mock = ds::test::dlq_outage_cluster(topic, group, 2, 16);
  REQUIRE_FALSE(mock->set_broker_down(2));
  const auto brokers = mock->bootstrap();
  kafka::client_config client{brokers, {}};

  auto start_daemon = [&](const std::string& name) {
    std::vector<std::string> argv{
      DS_DASHSTREAM_BIN, "run",
      "--brokers",       brokers,
      "--topic",         topic,
      "--group-id",      group,
      "--port",          "0",
      "--set",           "dlq.spool_dir=" + spool_dir,
      "--set",           "dlq.send_timeout_secs=1",
      "--set",           "dlq.drain_interval_ms=200",
      "--set",           "kafka.session_timeout_ms=6000",
      "--set",           "kafka.lag_check_interval_secs=1",
      "--set",           "pipeline.scheduler_threads=2"};
    auto p = std::make_unique<test::child_process>(argv, "/tmp/" + topic + "-" +
                                                           name + ".log");
    REQUIRE(p->started());
    return p;
  };

  auto t0 = std::chrono::steady_clock::now();
  feeder feed{brokers, topic, "kill9-" + id + "-"};
  feed.batch(); // something to reject from the start
  REQUIRE_FALSE(feed.failed());
  feed.start(1000ms);

  std::ostringstream timings;
  double truncations = 0;
  double recovered_records = 0;
  double spooled_at_kill = 0;
  // A torn write at the end of the newest segment, as a kill mid-append
  // leaves one (a random kill rarely lands inside a write).
  auto tear_newest_segment = [&] {
    std::filesystem::path newest;
    for (const auto& f : std::filesystem::directory_iterator(spool_dir)) {
      if (f.path().extension() == ".seg" && f.path() > newest) {
        newest = f.path();
      }
    }
    REQUIRE_FALSE(newest.empty());
    std::FILE* f = std::fopen(newest.c_str(), "ab");
    REQUIRE(f != nullptr);
    const std::string torn(37, '\xab');
    std::fwrite(torn.data(), 1, torn.size(), f);
    std::fclose(f);
  };
  for (uint64_t i = 0; i < kills; ++i) {
    auto d = start_daemon("run-" + std::to_string(i));
    INFO("incarnation " << i << ", log /tmp/" << topic << "-run-" << i
                        << ".log");
    // No crash loop: it comes up and serves its metrics, and it spools:
    // rejected records made durable in this incarnation (the DLQ broker is
    // down, so only the spool makes them durable).
    REQUIRE(eventually(
      [&] {
        return scrape(*d, "dashstream_dlq_records_total") > 0 ||
               d->wait_exit(0ms).has_value();
      },
      180s));
    if (d->wait_exit(0ms)) {
      FAIL("incarnation " << i << " exited: " << d->log());
    }
    auto torn = scrape(*d, "dashstream_dlq_spool_recovered_truncations_total");
    auto recovered = scrape(*d, "dashstream_dlq_spool_recovered_records_total");
    truncations += torn;
    recovered_records += recovered;
    if (i > 0) {
      // The torn tail was repaired and counted, and nothing the killed
      // incarnation had made durable was lost with it (the DLQ broker is
      // down: the spool only grows).
      CHECK(torn >= 1);
      CHECK(recovered >= spooled_at_kill);
    }
    // A random moment while it keeps spooling.
    auto wait = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    auto spooled = scrape(*d, "dashstream_dlq_spooled_records");
    REQUIRE(d->wait_exit(0ms) == std::nullopt); // still alive
    d->signal(SIGKILL);
    REQUIRE(d->wait_exit(10s) == 128 + SIGKILL);
    spooled_at_kill = spooled;
    tear_newest_segment();
    timings << (i == 0 ? "" : ", ") << wait << " ms (" << spooled
            << " spooled)";
  }
  feed.stop();
  REQUIRE_FALSE(feed.failed());
  WARN("killed " << kills << " times, " << timings.str());

  // The DLQ broker returns; one more daemon drains and finishes the topic.
  REQUIRE_FALSE(mock->set_broker_up(2));
  auto last = start_daemon("final");
  INFO("final log /tmp/" << topic << "-final.log");
  REQUIRE(eventually([&] { return last->http_port() != 0; }));
  auto last_torn =
    scrape(*last, "dashstream_dlq_spool_recovered_truncations_total");
  auto last_recovered =
    scrape(*last, "dashstream_dlq_spool_recovered_records_total");
  CHECK(last_torn >= 1);
  CHECK(last_recovered >= spooled_at_kill);
  truncations += last_torn;
  recovered_records += last_recovered;
  CHECK(
    eventually([&] { return ds::test::committed_to_end(client, group, topic); },
               300s, 500ms));
  CHECK(eventually(
    [&] { return scrape(*last, "dashstream_dlq_spooled_records") == 0; },
    300s));
  CHECK(last->running());
  last->signal(SIGTERM);
  CHECK(last->wait_exit(60s) == 0);
  // The spool ends empty on disk too.
  auto left = spool::spool::inspect(spool_dir);
  REQUIRE(left);
  CHECK(left->first.records == 0);

  // Nothing aged out of the DLQ topic: a missing record below is lost by
  // the daemon, not dropped by the broker's retention.
  auto marks = kafka::watermarks(client, dlq_topic, 30s);
  REQUIRE(marks);
  for (const auto& m : *marks) {
    INFO("DLQ partition " << m.partition << ": " << m.high << " records");
    REQUIRE(m.low == 0);
  }
  auto corrupt = feed.corrupt();
  auto listing =
    dlq_store::read_dlq(client, dlq_topic, dlq_store::dlq_filter{}, 60s);
  REQUIRE(listing);
  std::map<std::pair<int32_t, int64_t>, int> seen;
  for (const auto& e : listing->entries) {
    ++seen[{e.envelope["source_partition"].get<int32_t>(),
            e.envelope["source_offset"].get<int64_t>()}];
  }
  corrupt_set missing;
  uint64_t duplicates = 0;
  for (const auto& key : corrupt) {
    auto it = seen.find(key);
    if (it == seen.end()) {
      missing.insert(key);
    } else {
      duplicates += static_cast<uint64_t>(it->second - 1);
    }
  }
  for (const auto& [p, o] : missing) {
    UNSCOPED_INFO("missing from the DLQ: partition " << p << " offset " << o);
  }
  CHECK(missing.empty()); // zero DLQ records lost
  CHECK_FALSE(corrupt.empty());
  // Duplicates are counted: the reader's count (by record_id) is exactly
  // the repeats by source partition and offset.
  uint64_t repeats = 0;
  for (const auto& entry : seen) {
    repeats += static_cast<uint64_t>(entry.second - 1);
  }
  CHECK(listing->duplicates == repeats);
  std::filesystem::remove_all(spool_dir);
  WARN("DS_DLQ_KILL_SEED="
       << seed << ": " << kills << " kills, " << feed.sent()
       << " records sent, " << corrupt.size() << " corrupt, "
       << listing->entries.size() << " DLQ records, " << duplicates
       << " duplicates of corrupt records (" << listing->duplicates
       << " by record_id), spool tails repaired " << truncations << " times, "
       << recovered_records << " records recovered at startup; "
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count()
       << " s");
}

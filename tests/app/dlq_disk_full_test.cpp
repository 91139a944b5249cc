// The disk under the DLQ spool fills up while the daemon runs (a small
// tmpfs as dlq.spool_dir, the spool budget far above it, the DLQ topic's
// leader down so every rejected record must spool): ingestion pauses,
// /health says "disk full", no source offset is committed past a record
// that is not durable, nothing is dropped. The tmpfs is then grown (space
// returns): ingestion resumes by itself and /health clears; the DLQ broker
// comes back: the spool drains and every rejected record is in the DLQ
// topic. Needs root (mount); a failed mount fails the test.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <sys/mount.h>

#include "app/daemon.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/kafka/admin.hpp"
#include "runtime/kafka/mock_cluster.hpp"
#include "runtime/kafka/producer_client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/http_get.hpp"
#include "tests/support/kafka_checks.hpp"
#include "tests/support/metrics_reader.hpp"

using namespace ds;
using namespace std::chrono_literals;
using ds::test::eventually;
using ds::test::metric;

namespace {

/// A tmpfs mounted on `dir` for the lifetime of the guard.
class tmpfs_mount {
public:
  tmpfs_mount(std::string dir, const std::string& size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    auto opts = "size=" + size;
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      error_ = std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~tmpfs_mount() {
    if (mounted_) {
      ::umount2(dir_.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  bool mounted() const noexcept { return mounted_; }
  const std::string& error() const noexcept { return error_; }

  /// Grows (or shrinks) the mounted tmpfs; "" on success, else why not.
  std::string resize(const std::string& size) {
    auto opts = "size=" + size;
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) !=
        0) {
      return std::strerror(errno);
    }
    return {};
  }

private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

/// `count` records that fail decoding (zstd framing byte, then random
/// bytes: decompression_error), `size` bytes each; returns where they
/// landed.
std::set<std::pair<int32_t, int64_t>>
produce_corrupt(const std::string& brokers, const std::string& topic, int count,
                size_t size, uint64_t seed) {
  std::set<std::pair<int32_t, int64_t>> landed;
  uint64_t failed = 0;
  kafka::producer_settings ps;
  ps.client.brokers = brokers;
  auto p =
    kafka::producer_client::make(ps, [&](const kafka::delivery_report& r) {
      if (r.error) {
        ++failed;
      } else {
        landed.emplace(r.partition, r.offset);
      }
    });
  REQUIRE(p);
  std::mt19937_64 rng{seed};
  for (int i = 0; i < count; ++i) {
    std::string value(size, '\0');
    value[0] = 0x01;
    for (size_t j = 1; j < size; ++j) {
      value[j] = static_cast<char>(rng());
    }
    REQUIRE_FALSE((*p)->produce(topic, "key-" + std::to_string(i), value,
                                std::span<const kafka::record_header>{},
                                static_cast<uintptr_t>(i + 1)));
  }
  REQUIRE_FALSE((*p)->flush(60s));
  REQUIRE(failed == 0);
  REQUIRE(landed.size() == static_cast<size_t>(count));
  return landed;
}

} // namespace

TEST_CASE("the spool's disk fills up: ingestion pauses and health says why, "
          "nothing is dropped, and it resumes when space returns",
          "[mock]") {
  std::random_device rd;
  auto id = std::to_string(rd());
  const std::string topic = "diskfull-" + id;
  const std::string dlq_topic = topic + "-dlq";
  const std::string group = "diskfull-group-" + id;
  const std::string spool_dir = "/tmp/" + topic + "-spool";

  // 1 MiB of disk; the spool's own budget is 64 times that.
  tmpfs_mount disk{spool_dir, "1m"};
  if (!disk.mounted()) { // the test needs root: it fails, never skips
    FAIL("cannot mount a tmpfs on " << spool_dir << ": " << disk.error());
  }

  auto mock = ds::test::dlq_outage_cluster(topic, group);
  REQUIRE_FALSE(mock->set_broker_down(2));

  config::daemon_config c;
  c.kafka.brokers = mock->bootstrap();
  c.kafka.topic = topic;
  c.kafka.group_id = group;
  c.kafka.lag_check_interval_secs = 1;
  c.http.port = 0;
  c.pipeline.scheduler_threads = 2;
  // A small in-flight budget: a handful of records stuck on the DLQ pauses
  // the partition.
  c.pipeline.partition_inflight_max = 20;
  c.pipeline.partition_inflight_low_water = 10;
  c.dlq.send_timeout_secs = 1;
  c.dlq.drain_interval_ms = 200;
  c.dlq.include_payload = true; // big DLQ records: the disk fills sooner
  c.dlq.spool_dir = spool_dir;
  c.dlq.spool_budget_bytes = 64ull << 20;
  c.dlq.spool_segment_bytes = 64ull << 20;
  auto start = std::chrono::steady_clock::now();
  auto d = app::daemon::start(c);
  REQUIRE(d);
  auto& reg = (*d)->registry();
  auto port = (*d)->http_port();
  auto health = [&] { return test::http_get(port, "/health"); };
  auto processed = [&] { return metric(reg, "dashstream_records_total"); };
  auto paused = [&] {
    return metric(reg, "dashstream_partition_pauses_total") >
           metric(reg, "dashstream_partition_resumes_total");
  };
  auto lag = [&] { return metric(reg, "dashstream_consumer_lag_messages"); };
  kafka::client_config client{c.kafka.brokers, {}};
  auto committed_total = [&] {
    auto committed = kafka::committed_offsets(client, group, topic, 10s);
    REQUIRE(committed);
    int64_t total = 0;
    for (auto off : *committed) {
      total += off < 0 ? 0 : off;
    }
    return total;
  };

  // 400 corrupt records of 6 KiB: about 3.4 MiB of DLQ envelopes (payload
  // embedded as base64) for a 1 MiB disk.
  const int count = 400;
  auto corrupt = produce_corrupt(c.kafka.brokers, topic, count, 6 << 10, 7);

  // Disk full: /health names it, the writer counts the failed appends.
  REQUIRE(eventually(
    [&] { return health().find("disk full") != std::string::npos; }, 180s));
  CHECK(metric(reg, "dashstream_dlq_write_failures_total",
               {{"reason", "disk_full"}}) > 0);
  WARN("/health while the disk is full: " << health());
  // Ingestion paused: a partition is paused, processing stands still with
  // records left to do.
  REQUIRE(eventually([&] { return paused(); }));
  double before = -1;
  REQUIRE(eventually(
    [&] {
      auto now = processed();
      auto same = now == before;
      before = now;
      return same;
    },
    120s, 1000ms));
  std::this_thread::sleep_for(3s);
  CHECK(processed() == before);
  CHECK(paused());
  CHECK(processed() < static_cast<double>(count));
  CHECK(eventually([&] { return lag() > 0; }));
  // Nothing committed past a record that is not durable: every record is
  // corrupt, so each committed one must be durable in the spool (the DLQ
  // broker is down: no Kafka acks).
  auto committed = committed_total();
  auto durable = metric(reg, "dashstream_dlq_records_total");
  CHECK(static_cast<double>(committed) <= durable);
  CHECK(durable < static_cast<double>(count));
  auto spooled_full = metric(reg, "dashstream_dlq_spooled_records");
  auto paused_at = std::chrono::steady_clock::now();
  WARN("disk full after " << durable << " durable DLQ records (" << spooled_full
                          << " spooled, "
                          << metric(reg, "dashstream_dlq_spooled_bytes")
                          << " bytes); processed " << before << " of " << count
                          << ", committed " << committed << ", lag " << lag());

  // Space returns: ingestion resumes by itself, /health clears.
  REQUIRE(disk.resize("64m").empty());
  CHECK(eventually(
    [&] { return health().find("disk full") == std::string::npos; }));
  CHECK(eventually([&] { return processed() >= static_cast<double>(count); }));
  CHECK(metric(reg, "dashstream_partition_resumes_total") > 0);
  CHECK(eventually([&] {
    return metric(reg, "dashstream_dlq_spooled_records") >=
           static_cast<double>(count);
  }));
  auto resumed_in =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - paused_at)
      .count();

  // The DLQ broker returns: the spool drains into the topic.
  REQUIRE_FALSE(mock->set_broker_up(2));
  CHECK(eventually([&] {
    return metric(reg, "dashstream_dlq_spooled_records") == 0 &&
           metric(reg, "dashstream_dlq_drained_records_total") >=
             static_cast<double>(count);
  }));
  // Everything processed is committed: the whole topic, nothing held back.
  CHECK(eventually(
    [&] { return committed_total() == static_cast<int64_t>(count); }));
  (*d)->stop();

  auto listing =
    dlq_store::read_dlq(client, dlq_topic, dlq_store::dlq_filter{}, 30s);
  REQUIRE(listing);
  std::set<std::pair<int32_t, int64_t>> arrived;
  for (const auto& e : listing->entries) {
    arrived.emplace(e.envelope["source_partition"].get<int32_t>(),
                    e.envelope["source_offset"].get<int64_t>());
  }
  CHECK(arrived == corrupt); // every one, duplicates aside
  WARN(
    "resumed and spooled everything "
    << resumed_in << " s after space returned; DLQ: " << listing->entries.size()
    << " records, " << arrived.size() << " distinct, " << listing->duplicates
    << " duplicates; total "
    << std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
         .count()
    << " s");
}

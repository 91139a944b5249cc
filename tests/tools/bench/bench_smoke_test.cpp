#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tools/bench/child_process.hpp"

namespace {

// Runs `dashstream bench NAME --json` and returns its JSON result (the
// last object it printed); a failed run fails the test with its log.
nlohmann::json run_scenario(const std::string& name,
                            std::vector<std::string> extra = {}) {
  auto out =
    "/tmp/bench_" + name + "_test-" + std::to_string(::getpid()) + ".json";
  std::vector<std::string> argv{DS_DASHSTREAM_BIN, "bench",         name,
                                "--scenario-dir",  DS_SCENARIO_DIR, "--json",
                                "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = ds::bench::child_process::spawn(argv, out);
  REQUIRE(child);
  auto ex = (*child)->wait(std::chrono::seconds(90));
  REQUIRE(ex);
  INFO((*child)->log());
  REQUIRE(ex->status == 0);
  auto text = (*child)->log();
  std::remove(out.c_str());
  auto pos = text.rfind("\n{");
  auto doc = nlohmann::json::parse(
    text.substr(pos == std::string::npos ? 0 : pos + 1), nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  return doc;
}

} // namespace

// The harness end to end on the embedded broker: `dashstream bench smoke
// --json` starts, runs one raw/pipeline pair and reports consistent JSON.
// Its figures are never checked: a benchmark is not a test.
TEST_CASE("dashstream bench smoke reports consistent JSON", "[bench]") {
  auto doc = run_scenario("smoke");
  const auto& s = doc["summary"];
  const auto produced = doc["produce"]["sent"].get<double>();
  CHECK(produced > 0);
  CHECK(doc["produce"]["acked"].get<double>() == produced);
  CHECK(s["produced"].get<double>() == produced);
  CHECK(s["processed"].get<double>() == produced);
  CHECK(s["processed_equals_produced"].get<bool>());
  // The ratios exist and are numbers; their values are not judged here.
  CHECK(s["ratio_throughput"].is_number());
  CHECK(s["ratio_cpu_per_record"].is_number());
  CHECK(s["raw_records_per_second"].get<double>() > 0);
  CHECK(s["pipeline_records_per_second"].get<double>() > 0);
  // The smoke workload injects faults: the daemon's counts match the
  // producer's ground truth.
  CHECK(s["faults_match_ground_truth"].get<bool>());
  CHECK(doc["rounds"].size() == 1);
  CHECK(doc["rounds"][0]["raw"]["records"].get<double>() == produced);
  CHECK_FALSE(doc["timeline"].empty());
}

// The latency mode end to end: the backlog pair, the maximum measured
// while the producer runs, then live at a fraction of that maximum, every
// record processed and its latency observed. The values are not judged.
TEST_CASE("dashstream bench smoke-latency calibrates on the producer-loaded "
          "maximum and runs live",
          "[bench]") {
  auto doc = run_scenario("smoke-latency");
  const auto& l = doc["live"];
  CHECK(l["backlog_records_per_second"].get<double>() > 0);
  // The maximum is the daemon's rate over the whole stream the producer
  // sent at full speed meanwhile.
  CHECK(l["max_produce"]["sent"].get<double>() == 3000);
  CHECK(l["max_pipeline"]["processed"].get<double>() == 3000);
  const auto max_rate = l["max_records_per_second"].get<double>();
  CHECK(max_rate > 0);
  CHECK(max_rate == l["max_pipeline"]["records_per_second"].get<double>());
  CHECK(l["target_records_per_second"].get<double>() ==
        Approx(std::max(1.0, max_rate * 0.2)));
  CHECK(doc["summary"]["live_processed_equals_produced"].get<bool>());
  CHECK(l["produce"]["sent"].get<double>() > 0);
  CHECK(doc["summary"]["latency"]["observed"].get<double>() ==
        l["produce"]["sent"].get<double>());
}

// The bad_records mode end to end: a clean backlog and an all-corrupt one,
// one pair; every bad record ends up durable in the DLQ and the ratio is
// reported. Its value is not judged.
TEST_CASE("dashstream bench smoke-bad reports the bad/clean ratio", "[bench]") {
  auto samples =
    "/tmp/bench_smoke_bad_samples-" + std::to_string(::getpid()) + ".csv";
  auto doc = run_scenario("smoke-bad", {"--samples-file", samples});
  const auto& s = doc["summary"];
  const auto clean = doc["produce"]["sent"].get<double>();
  const auto bad = doc["produce_bad"]["sent"].get<double>();
  CHECK(clean == 2000);
  CHECK(bad == 1200); // 10 % of 2 000 of each of the six kinds
  CHECK(doc["produce_bad"]["corrupt"].get<double>() == bad);
  CHECK(doc["produce_bad"]["valid"].get<double>() == 0);
  CHECK(s["processed"].get<double>() == clean);
  CHECK(s["processed_bad"].get<double>() == bad);
  CHECK(s["dlq_records"].get<double>() == bad);
  CHECK(s["outcomes_bad"]["decode_error"].get<double>() == bad);
  CHECK(s["every_record_accounted"].get<bool>());
  CHECK(s["ratio_bad_to_clean"].is_number());
  CHECK(s["clean_records_per_second"].get<double>() > 0);
  CHECK(s["bad_records_per_second"].get<double>() > 0);
  CHECK(doc["rounds"].size() == 1);
  CHECK(doc["rounds"][0]["bad"]["measured_on"] == "dlq_records");
  CHECK(doc["rounds"][0]["clean"]["measured_on"] == "processed");
  // --samples-file: every scrape of both rounds, in order; each round's
  // counters only grow and its last scrape has everything.
  std::ifstream in{samples};
  std::string line;
  REQUIRE(std::getline(in, line));
  CHECK(line == "phase,t_seconds,processed,dlq_records,dlq_spooled,"
                "cpu_seconds,rss_bytes");
  std::map<std::string, std::vector<std::vector<double>>> rows;
  while (std::getline(in, line)) {
    auto close = line.find("\",");
    REQUIRE(line.front() == '"');
    REQUIRE(close != std::string::npos);
    std::vector<double> cols;
    std::istringstream rest{line.substr(close + 2)};
    for (std::string cell; std::getline(rest, cell, ',');) {
      cols.push_back(std::stod(cell));
    }
    REQUIRE(cols.size() == 6);
    rows[line.substr(1, close - 1)].push_back(cols);
  }
  std::remove(samples.c_str());
  REQUIRE(rows.size() == 2); // the clean round and the bad one
  bool saw_bad = false;
  for (const auto& [phase, rs] : rows) {
    INFO(phase);
    REQUIRE_FALSE(rs.empty());
    for (size_t i = 1; i < rs.size(); ++i) {
      CHECK(rs[i][0] > rs[i - 1][0]);  // time
      CHECK(rs[i][1] >= rs[i - 1][1]); // processed
      CHECK(rs[i][2] >= rs[i - 1][2]); // DLQ records
    }
    if (rs.back()[2] > 0) {
      saw_bad = true;
      CHECK(rs.back()[2] == bad);
    } else {
      CHECK(rs.back()[1] == clean);
    }
  }
  CHECK(saw_bad);
}

// The fanout mode end to end: 4 WebSocket clients on the daemon's /ws, the
// backlog counted on every client, the raw floor over as many loopback
// connections with the same frame bytes, then live with every delivery's
// latency observed. Exact counts only; the figures are not judged.
TEST_CASE("dashstream bench smoke-fanout counts every record on every "
          "client and on the raw floor",
          "[bench]") {
  auto doc = run_scenario("smoke-fanout");
  const auto& s = doc["summary"];
  const auto& f = doc["fanout"];
  CHECK(f["clients"].get<double>() == 4);
  CHECK(f["fanout"]["produce"]["sent"].get<double>() == 2000);
  CHECK(f["fanout"]["records"].get<double>() == 2000);
  CHECK(f["fanout"]["deliveries"].get<double>() == 8000);
  CHECK(f["raw_floor"]["records"].get<double>() == 2000);
  CHECK(f["raw_floor"]["deliveries"].get<double>() == 8000);
  // The floor writes the bytes the daemon sent: a cursor frame and a value
  // frame per record.
  CHECK(f["raw_floor"]["bytes_per_delivery"].get<double>() > 200);
  const auto live = f["live"]["produce"]["sent"].get<double>();
  CHECK(live > 0);
  CHECK(f["live"]["records"].get<double>() == live);
  CHECK(s["every_client_has_every_record"].get<bool>());
  CHECK(f["daemon"]["slow_client_disconnects"].get<double>() == 0);
  // Every record reached every client, replays none: the daemon queued
  // exactly records x clients.
  CHECK(f["daemon"]["records_queued_to_clients"].get<double>() ==
        (2000 + live) * 4);
  CHECK(s["latency_observed"].get<double>() == live * 4);
  CHECK(f["live"]["latency"]["negative"].get<double>() == 0);
  CHECK(s["ratio_fanout_to_raw"].is_number());
  CHECK(s["daemon_cpu_us_per_delivery"].get<double>() > 0);
}

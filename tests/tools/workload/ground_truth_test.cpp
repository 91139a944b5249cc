#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tools/workload/generator.hpp"

using namespace ds::workload;
using json = nlohmann::json;

namespace {

workload_config small(uint64_t seed) {
  workload_config cfg;
  cfg.seed = seed;
  cfg.count = 400;
  cfg.threads = 12;
  cfg.gaps = 3;
  cfg.duplicates = 2;
  cfg.reorders = 2;
  cfg.corrupt = {1, 1, 1, 1, 1, 1};
  return cfg;
}

} // namespace

TEST_CASE("the ground truth document has totals, expectations and faults") {
  auto run = run_dry(small(21));
  REQUIRE(run);
  auto& truth = run->gen->truth();
  for (std::size_t i = 0; i < run->records.size(); ++i) {
    truth.locate(run->records[i].token, 3, static_cast<int64_t>(100 + i));
  }
  auto doc = truth.to_json(true);
  CHECK(doc["complete"] == true);
  CHECK(doc["seed"] == "21");
  CHECK(doc["records"]["total"] == 400 + 2 + 6);
  CHECK(doc["records"]["valid"] == 400);
  CHECK(doc["records"]["duplicates"] == 2);
  CHECK(doc["records"]["corrupt"] == 6);
  CHECK(doc["records"]["corrupt_by_kind"]["zstd_bomb"] == 1);
  CHECK(doc["expected"]["gaps"] == 3 + 2);
  CHECK(doc["expected"]["duplicates"] == 2);
  CHECK(doc["expected"]["reorders"] == 2);
  CHECK(doc["expected"]["corrupt_by_reason"] ==
        json{{"bad_framing_byte", 1},
             {"truncated", 1},
             {"too_large", 1},
             {"zstd_missing_content_size", 1},
             {"missing_header", 1},
             {"empty_payload", 1}});
  uint64_t missing = 2; // each reorder's gap of one
  for (const auto& f : doc["faults"]) {
    if (f["kind"] == "gap") {
      missing += f["size"].get<uint64_t>();
    }
    // Sequences and offsets travel as decimal strings (contract §5.2).
    CHECK(f["sequence"].is_string());
    CHECK(f["offset"].is_string());
    CHECK(f["partition"] == 3);
    CHECK(std::stoll(f["offset"].get<std::string>()) >= 100);
    CHECK(f["tenant"] == "tenant-0");
  }
  CHECK(doc["expected"]["gap_missing_total"] == missing);
  CHECK(doc["faults"].size() == 3 + 2 + 2 + 6);
  const auto& last = doc["threads"]["last_sequence"];
  CHECK(last.size() == 12);
  for (const auto& [thread, seq] : last.items()) {
    CHECK(seq.is_string());
  }
}

TEST_CASE("above 10 000 threads the per-thread map becomes a checksum") {
  workload_config cfg;
  cfg.count = 10'500;
  cfg.threads = 10'001;
  cfg.kinds = *parse_mix("event:1");
  auto run = run_dry(cfg);
  REQUIRE(run);
  auto doc = run->gen->truth().to_json(true);
  const auto& threads = doc["threads"];
  CHECK(threads["count"] == 10'001);
  CHECK_FALSE(threads.contains("last_sequence"));
  CHECK(threads["last_sequence_sum"] == "10500");
  CHECK(threads["last_sequence_checksum"].get<std::string>().rfind("fnv1a64:",
                                                                   0) == 0);
}

TEST_CASE("write() replaces the file with the document") {
  auto run = run_dry(small(2));
  REQUIRE(run);
  auto path = std::string{"ground_truth_test."} +
              std::to_string(reinterpret_cast<std::uintptr_t>(&run)) + ".json";
  REQUIRE_FALSE(run->gen->truth().write(path, false));
  std::ifstream in{path};
  auto doc = json::parse(in);
  std::remove(path.c_str());
  CHECK(doc["complete"] == false);
  CHECK(doc["format"] == "dashstream-workload-ground-truth");
  CHECK(static_cast<bool>(
    run->gen->truth().write("/nonexistent-dir/x.json", true)));
}

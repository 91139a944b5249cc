#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <unordered_map>

#include "proto/codec.hpp"
#include "tools/workload/generator.hpp"

using namespace ds;
using namespace ds::workload;

namespace {

// Contract §3, written out independently of any production validator:
// first sequence = baseline; seq == expected ok; seq > expected gap (jump);
// seq == expected-1 duplicate; seq < expected-1 reorder; duplicates and
// reorders do not move expected. Policy warn_and_continue.
struct reference_validator {
  std::unordered_map<std::string, uint64_t> expected;
  uint64_t gaps = 0;
  uint64_t missing = 0;
  uint64_t duplicates = 0;
  uint64_t reorders = 0;
  std::unordered_map<std::string, uint64_t> highest;

  void see(const std::string& thread, uint64_t seq) {
    if (thread.empty() || seq == 0) {
      return;
    }
    highest[thread] = std::max(highest[thread], seq);
    auto it = expected.find(thread);
    if (it == expected.end()) {
      expected.emplace(thread, seq + 1);
      return;
    }
    auto& exp = it->second;
    if (seq == exp) {
      exp = seq + 1;
    } else if (seq > exp) {
      ++gaps;
      missing += seq - exp;
      exp = seq + 1;
    } else if (seq == exp - 1) {
      ++duplicates;
    } else {
      ++reorders;
    }
  }
};

struct replay_result {
  reference_validator validator;
  std::map<std::string, uint64_t> corrupt_by_reason;
};

// Decodes every planned record as a consumer would and feeds each header
// (every inner event of a batch too) to the reference validator.
replay_result replay(const std::vector<planned_record>& records) {
  replay_result out;
  for (const auto& rec : records) {
    proto::message msg;
    auto info = proto::decode(rec.value, {proto::decode_mode::compatible}, msg);
    if (!info) {
      ++out.corrupt_by_reason[std::string{
        proto::to_string(proto::to_errc(info.error()))}];
      continue;
    }
    proto::for_each_header(msg, [&](const proto::header& h) {
      out.validator.see(h.thread_id(), h.sequence());
    });
  }
  return out;
}

workload_config base_config(uint64_t seed) {
  workload_config cfg;
  cfg.seed = seed;
  cfg.count = 1500;
  cfg.threads = 40;
  cfg.tenants = 3;
  cfg.size = 300;
  cfg.kinds = *parse_mix("event:40,batch:15,state_diff:10,token_chunk:10,"
                         "metrics:10,tool:5,checkpoint:4,error:3,trace:3");
  return cfg;
}

} // namespace

TEST_CASE("a §3 validator run over the plan finds exactly the ground truth") {
  struct fault_mix {
    uint64_t gaps, duplicates, reorders;
    corruption_counts corrupt;
  };
  auto seed = GENERATE(1u, 2u, 42u, 1000u);
  auto mix = GENERATE(values<fault_mix>({
    {0, 0, 0, {}},
    {5, 5, 5, {1, 1, 1, 1, 1, 1}},
    {30, 0, 0, {}},
    {0, 25, 0, {0, 0, 0, 0, 0, 3}},
    {0, 0, 25, {}},
    {20, 20, 20, {2, 1, 1, 1, 1, 0}},
  }));
  auto cfg = base_config(seed);
  cfg.gaps = mix.gaps;
  cfg.duplicates = mix.duplicates;
  cfg.reorders = mix.reorders;
  cfg.corrupt = mix.corrupt;
  CAPTURE(seed, mix.gaps, mix.duplicates, mix.reorders);
  auto run = run_dry(cfg);
  REQUIRE(run);
  const auto& truth = run->gen->truth();
  const auto& exp = truth.expected();
  auto got = replay(run->records);
  CHECK(got.validator.gaps == exp.gaps);
  CHECK(got.validator.missing == exp.gap_missing_total);
  CHECK(got.validator.duplicates == exp.duplicates);
  CHECK(got.validator.reorders == exp.reorders);
  CHECK(got.corrupt_by_reason == exp.corrupt_by_reason);
  // And the ground truth says what was asked for: each reorder also makes
  // a gap of one.
  CHECK(exp.gaps == mix.gaps + mix.reorders);
  CHECK(exp.duplicates == mix.duplicates);
  CHECK(exp.reorders == mix.reorders);
  uint64_t corrupt = 0;
  for (auto n : mix.corrupt) {
    corrupt += n;
  }
  CHECK(truth.records().total == cfg.count + mix.duplicates + corrupt);
  CHECK(truth.records().valid == cfg.count);
  CHECK(truth.records().duplicates == mix.duplicates);
  CHECK(truth.records().corrupt == corrupt);
  CHECK(run->records.size() == truth.records().total);
  CHECK(run->gen->remaining() == 0);
  // Highest sequence per thread agrees with the validator's view.
  const auto& lay = run->gen->plan().layout;
  for (uint32_t t = 0; t < lay.used_threads(); ++t) {
    auto it = got.validator.highest.find(lay.thread_ids[t]);
    auto seen = it == got.validator.highest.end() ? 0 : it->second;
    CHECK(truth.last_sequence()[t] == seen);
  }
}

TEST_CASE("records keep every thread on one key") {
  auto cfg = base_config(5);
  cfg.gaps = 10;
  auto run = run_dry(cfg);
  REQUIRE(run);
  const auto& lay = run->gen->plan().layout;
  std::map<std::string, uint32_t> index;
  for (uint32_t t = 0; t < lay.used_threads(); ++t) {
    index[lay.thread_ids[t]] = t;
  }
  // thread id -> the record keys it was seen under
  std::map<std::string, std::set<std::string>> keys_of;
  for (const auto& rec : run->records) {
    proto::message msg;
    REQUIRE(proto::decode(rec.value, {proto::decode_mode::strict}, msg));
    CHECK(proto::record_key(msg) == rec.key);
    proto::for_each_header(msg, [&](const proto::header& h) {
      keys_of[h.thread_id()].insert(std::string{rec.key});
      CHECK(h.tenant_id() == rec.tenant);
    });
    auto t = index.at(std::string{rec.key});
    if (msg.has_event_batch()) {
      CHECK_FALSE(lay.is_solo(t));
      CHECK(lay.group_first(lay.group_of(t)) == t);
      REQUIRE(msg.event_batch().events_size() == int(lay.group_size));
      CHECK(msg.event_batch().header().sequence() == 0);
      for (int i = 0; i < msg.event_batch().events_size(); ++i) {
        CHECK(msg.event_batch().events(i).header().thread_id() ==
              lay.thread_ids[t + static_cast<uint32_t>(i)]);
      }
    } else {
      CHECK(lay.is_solo(t));
    }
  }
  for (const auto& [thread, keys] : keys_of) {
    INFO(thread);
    CHECK(keys.size() == 1);
  }
}

TEST_CASE("fault records are tagged and located by their tokens") {
  auto cfg = base_config(9);
  cfg.gaps = 8;
  cfg.duplicates = 8;
  cfg.reorders = 8;
  cfg.corrupt = {1, 1, 1, 1, 1, 1};
  auto run = run_dry(cfg);
  REQUIRE(run);
  auto& truth = run->gen->truth();
  // Pretend Kafka put everything on partition 0 at offset = index.
  for (std::size_t i = 0; i < run->records.size(); ++i) {
    truth.locate(run->records[i].token, 0, static_cast<int64_t>(i));
  }
  std::map<fault_kind, int> kinds;
  for (const auto& f : truth.faults()) {
    ++kinds[f.kind];
    REQUIRE(f.offset >= 0);
    const auto& rec = run->records[static_cast<std::size_t>(f.offset)];
    // A batch thread's record is keyed by its group's first thread.
    const auto& lay = run->gen->plan().layout;
    auto key_thread = lay.is_solo(f.thread)
                        ? f.thread
                        : lay.group_first(lay.group_of(f.thread));
    CHECK(rec.key == lay.thread_ids[key_thread]);
    switch (f.kind) {
      case fault_kind::gap: {
        CHECK(rec.tag == record_tag::gap);
        bool carries = false;
        for (const auto& s : rec.sequences) {
          carries |= s.thread == f.thread && s.sequence == f.sequence;
        }
        CHECK(carries);
        break;
      }
      case fault_kind::duplicate: {
        CHECK(rec.tag == record_tag::duplicate);
        REQUIRE(f.original_offset == f.offset - 1);
        const auto& orig =
          run->records[static_cast<std::size_t>(f.original_offset)];
        CHECK(orig.value == rec.value); // the exact same bytes
        CHECK(rec.sequences.at(0).sequence == f.sequence);
        break;
      }
      case fault_kind::reorder: {
        CHECK(rec.tag == record_tag::reorder_late);
        CHECK(rec.sequences.at(0).sequence == f.sequence);
        REQUIRE(f.early_offset == f.offset - 1);
        const auto& early =
          run->records[static_cast<std::size_t>(f.early_offset)];
        CHECK(early.tag == record_tag::reorder_early);
        CHECK(f.early_sequence == f.sequence + 1);
        CHECK(early.sequences.at(0).sequence == f.sequence + 1);
        break;
      }
      case fault_kind::corrupt:
        CHECK(rec.tag == record_tag::corrupt);
        CHECK(rec.corruption == f.corruption);
        CHECK(f.sequence == 0);
        break;
    }
  }
  CHECK(kinds[fault_kind::gap] == 8);
  CHECK(kinds[fault_kind::duplicate] == 8);
  CHECK(kinds[fault_kind::reorder] == 8);
  CHECK(kinds[fault_kind::corrupt] == 6);
}

TEST_CASE("the same seed plans the same records") {
  auto cfg = base_config(77);
  cfg.gaps = 5;
  cfg.duplicates = 5;
  cfg.reorders = 5;
  cfg.corrupt = {1, 0, 0, 0, 1, 1};
  auto a = run_dry(cfg);
  auto b = run_dry(cfg);
  cfg.seed = 78;
  auto c = run_dry(cfg);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  auto shape = [](const dry_run& r) {
    std::vector<
      std::tuple<std::string, message_kind, record_tag, uint64_t, std::size_t>>
      out;
    for (const auto& rec : r.records) {
      out.emplace_back(std::string{rec.key}, rec.kind, rec.tag,
                       rec.sequences.empty() ? 0 : rec.sequences[0].sequence,
                       rec.value.size());
    }
    return out;
  };
  CHECK(shape(*a) == shape(*b));
  CHECK(shape(*a) != shape(*c));
}

TEST_CASE("text payloads hit the target size and take the zstd path") {
  auto cfg = base_config(3);
  cfg.size = 1024;
  auto run = run_dry(cfg);
  REQUIRE(run);
  for (const auto& rec : run->records) {
    proto::message msg;
    auto info = proto::decode(rec.value, {proto::decode_mode::strict}, msg);
    REQUIRE(info);
    INFO(to_string(rec.kind));
    CHECK(info->how == proto::framing::zstd);
    // Compressing marks header.compression = ZSTD (two bytes per header),
    // after padding measured the size.
    std::size_t headers = 0;
    proto::for_each_header(msg, [&](const proto::header&) { ++headers; });
    CHECK(info->decoded_bytes >= 1024);
    CHECK(info->decoded_bytes <= 1024 + 3 * headers);
    CHECK(rec.value.size() < 800);
  }
  CHECK(run->gen->truth().records().compressed == cfg.count);
}

TEST_CASE("random payloads do not compress, so they are framed raw") {
  auto cfg = base_config(4);
  cfg.size = 2048;
  cfg.payload = payload_kind::random;
  // Not error (only string fields: hex, which compresses), batch (its
  // repeated event headers) nor metrics (repeated metric names and units):
  // those can still save the few dozen bytes that make zstd pay off.
  cfg.kinds = *parse_mix("event:1,state_diff:1,token_chunk:1,tool:1,"
                         "checkpoint:1,trace:1");
  auto run = run_dry(cfg);
  REQUIRE(run);
  for (const auto& rec : run->records) {
    INFO(to_string(rec.kind));
    proto::message msg;
    auto info = proto::decode(rec.value, {proto::decode_mode::strict}, msg);
    REQUIRE(info);
    CHECK(info->how == proto::framing::raw);
    CHECK(info->decoded_bytes >= 2048 - 3); // logprobs come in 4s
    CHECK(info->decoded_bytes <= 2048);
  }
  CHECK(run->gen->truth().records().compressed == 0);
}

TEST_CASE("metrics include quality records with every exporter field") {
  auto cfg = base_config(6);
  cfg.kinds = *parse_mix("metrics:1");
  cfg.count = 200;
  auto run = run_dry(cfg);
  REQUIRE(run);
  int quality = 0;
  for (const auto& rec : run->records) {
    proto::message msg;
    REQUIRE(proto::decode(rec.value, {proto::decode_mode::strict}, msg));
    const auto& m = msg.metrics();
    if (m.scope() != "quality") {
      continue;
    }
    ++quality;
    for (auto field :
         {"quality_score", "passed", "latency_ms", "retry_count", "turn_number",
          "accuracy", "relevance", "completeness"}) {
      INFO(field);
      CHECK(m.metrics().count(field) == 1);
    }
    CHECK(m.metrics().at("passed").value_case() ==
          dashstream::v1::MetricValue::kBoolValue);
    CHECK(m.tags().count("model") == 1);
    CHECK(m.tags().count("category") == 1);
  }
  CHECK(quality > 50);
  CHECK(quality < 150);
}

TEST_CASE("traceparent auto gives every record its own valid header") {
  auto cfg = base_config(8);
  cfg.count = 300;
  cfg.trace = trace_mode::random_per_record;
  cfg.duplicates = 3;
  auto run = run_dry(cfg);
  REQUIRE(run);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < run->records.size(); ++i) {
    const auto& rec = run->records[i];
    CHECK(is_valid_traceparent(rec.traceparent));
    if (rec.tag == record_tag::duplicate) {
      // An exact resend repeats its headers too.
      CHECK(rec.traceparent == run->records[i - 1].traceparent);
    } else {
      CHECK(seen.insert(rec.traceparent.substr(3, 32)).second);
    }
  }
  cfg.trace = trace_mode::off;
  auto quiet = run_dry(cfg);
  REQUIRE(quiet);
  for (const auto& rec : quiet->records) {
    CHECK(rec.traceparent.empty());
  }
}

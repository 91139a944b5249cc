// What `dlq inspect` and `dlq replay` make of the DLQ topic's record values,
// without a broker: add_record() (each record read_dlq() reads) and
// replay()'s dry run (which never connects).
#include <chrono>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dlq/envelope.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "tests/dlq/samples.hpp"

using namespace ds;
using namespace ds::dlq_store;
using namespace std::chrono_literals;

namespace {

kafka::consumed_record record_of(std::string value, int64_t offset = 0) {
  kafka::consumed_record r;
  r.partition = 1;
  r.offset = offset;
  r.key = "thread-1";
  r.value = std::move(value);
  return r;
}

dlq_listing read_values(const std::vector<std::string>& values,
                        const dlq_filter& f = {}) {
  dlq_listing out;
  std::set<std::string> seen;
  int64_t offset = 0;
  for (const auto& v : values) {
    add_record(out, seen, f, record_of(v, offset++));
  }
  return out;
}

std::string envelope_text(int64_t offset, bool include_payload) {
  dlq::envelope_settings es;
  es.include_payload = include_payload;
  return dlq::write_envelope(test::bad_record("events", offset), es,
                             std::string_view{"2024-05-01T12:00:00.123Z"});
}

} // namespace

TEST_CASE("envelopes are kept and counted, anything else is malformed, a "
          "record_id seen before is a duplicate") {
  auto out = read_values({envelope_text(4, true), "not json", "[1,2]",
                          R"({"no":"version"})", envelope_text(4, false),
                          envelope_text(5, false)});
  CHECK(out.scanned == 6);
  CHECK(out.malformed == 3);
  CHECK(out.duplicates == 1);
  REQUIRE(out.entries.size() == 3);
  CHECK(out.entries[0].payload == test::bad_record("events", 4).payload);
  CHECK(out.entries[0].decoded.value("decodes", true) == false);
  CHECK_FALSE(out.entries[1].payload);
  dlq_filter acme;
  acme.tenant_id = "acme";
  acme.limit = 1;
  auto some = read_values(
    {envelope_text(4, false), envelope_text(5, false), envelope_text(6, false)},
    acme);
  REQUIRE(some.entries.size() == 1);
  CHECK(some.entries[0].envelope["record_id"] == "events/1/4");
}

TEST_CASE("an envelope nested deeper than a flat one is malformed "
          "(dlq inspect --json overflowed its stack)") {
  // 400 000 nested arrays (800 KB, a value Kafka's default size limit
  // lets through) in one field: parsed whole before, then dump()'s
  // recursion ran out of stack in `dlq inspect --json` (and in the table,
  // which dumps a field that is not a string).
  constexpr size_t depth = 400'000;
  auto deep = R"({"envelope_version":1,"record_id":"x/0/1","error":)" +
              std::string(depth, '[') + std::string(depth, ']') + "}";
  auto shallow = R"({"envelope_version":1,"error":[[[[1]]]]})";
  auto out = read_values({deep, shallow});
  CHECK(out.malformed == 1);
  REQUIRE(out.entries.size() == 1);
  for (const auto& e : out.entries) {
    CHECK_FALSE(e.envelope.dump().empty()); // what crashed
  }
}

TEST_CASE("replay: only a payload known to be whole is replayable; a "
          "truncation flag of another type than boolean is not whole") {
  auto whole = read_values({envelope_text(1, true)});
  REQUIRE(whole.entries.size() == 1);
  CHECK(classify(whole.entries[0]) == replay_class::replayable);
  auto none = read_values({envelope_text(1, false)});
  REQUIRE(none.entries.size() == 1);
  CHECK(classify(none.entries[0]) == replay_class::no_payload);
  dlq_listing odd;
  for (const auto& flag :
       {nlohmann::json(true), nlohmann::json("false"), nlohmann::json(0),
        nlohmann::json(nullptr), nlohmann::json::array()}) {
    auto e = whole.entries[0];
    e.envelope["original_payload_truncated"] = flag;
    INFO(flag.dump());
    // value(key, false) threw nlohmann's type_error out of `dlq replay`.
    CHECK(classify(e) == replay_class::truncated);
    odd.entries.push_back(std::move(e));
  }
  // The dry run counts without a broker.
  auto rep = replay({}, "events-dlq", odd, "events", false, 1s);
  REQUIRE(rep);
  CHECK(rep->selected == 5);
  CHECK(rep->truncated == 5);
  CHECK(rep->replayable == 0);
}

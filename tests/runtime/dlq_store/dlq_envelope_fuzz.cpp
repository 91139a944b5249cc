// libFuzzer target for what `dashstream dlq inspect` and `dlq replay` read
// from the DLQ topic: the bytes as a record value through add_record()
// (the JSON envelope, the filters, the embedded payload's base64 and its
// summary, twice for the duplicate count), then what the tools do with an
// entry (the replay class and headers, the JSON and text output); the same
// bytes through describe_payload() (what `dashstream tail` prints) and as
// a spooled DLQ record through dlq_record::decode() (what the sink drains
// from its spool).
// For any bytes:
// - nothing crashes, reads out of bounds or throws (ASan/UBSan watch);
// - the counts add up, a kept entry is an envelope its filter selects, an
//   embedded payload round-trips through base64;
// - the summaries and envelopes serialise as JSON (the tools print them);
// - a spooled record that decodes has every field and header inside its
//   bytes.
// Run: dlq_envelope_fuzz -max_total_time=20 <corpus-dir> (ctest -L fuzz does
// this on a copy of tests/runtime/dlq_store/fuzz_corpus).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>
#include <nlohmann/json.hpp>

#include "dlq/envelope.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"

namespace {

using namespace ds;
using namespace ds::dlq_store;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "dlq_envelope_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

// The filters `dlq inspect` takes: none, by type and tenant, by thread, by
// time, and a limit.
std::vector<dlq_filter> filters() {
  std::vector<dlq_filter> out(5);
  out[1].error_type = "decode_error";
  out[1].tenant_id = "acme";
  out[2].thread_id = "thread-7";
  auto t = dlq::parse_rfc3339("2024-05-01T12:00:00Z");
  if (!t) {
    fail("parse_rfc3339 of a fixed time failed");
  }
  out[3].since = *t;
  out[3].until = *t + std::chrono::hours{24};
  out[4].limit = 1;
  return out;
}

// What `dlq inspect` prints of a field in its table (app/dlq_command.cpp).
std::string field(const nlohmann::json& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end() || it->is_null()) {
    return "-";
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void check_entry(const dlq_filter& f, const dlq_entry& e) {
  if (!e.envelope.is_object() || !e.envelope.contains("envelope_version")) {
    fail("an entry that is not an envelope");
  }
  if (!matches(f, e.envelope)) {
    fail("an entry its filter does not select");
  }
  if (e.payload) {
    auto again = dlq::base64_decode(dlq::base64_encode(*e.payload));
    if (!again || *again != *e.payload) {
      fail("base64 does not round-trip");
    }
    // `dlq inspect --json`, `dlq tail`: printed as they are.
    (void)e.decoded.dump();
  }
  (void)classify(e);
  auto hs = replay_headers("events-dlq", e);
  if (hs.size() < 5) {
    fail("replay headers without provenance");
  }
  // `dlq inspect --json` and the table.
  (void)e.envelope.dump(-1, ' ', false,
                        nlohmann::json::error_handler_t::replace);
  for (const char* name : {"timestamp", "error_type", "tenant_id", "thread_id",
                           "record_id", "error"}) {
    (void)field(e.envelope, name);
  }
}

void check_spooled(std::string_view bytes) {
  auto rec = dlq::dlq_record::decode(std::string{bytes});
  if (!rec) {
    return;
  }
  const auto& all = rec->bytes();
  auto inside = [&all](std::string_view v) {
    return v.empty() || (v.data() >= all.data() &&
                         v.data() + v.size() <= all.data() + all.size());
  };
  if (!inside(rec->topic()) || !inside(rec->key()) || !inside(rec->value()) ||
      !inside(rec->error_type())) {
    fail("a spooled field outside the record");
  }
  for (const auto& h : rec->headers()) {
    if (!inside(h.name) || !inside(h.value)) {
      fail("a spooled header outside the record");
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a protobuf string field logs a line per parse.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  static const auto all_filters = filters();
  kafka::consumed_record r;
  r.partition = 3;
  r.offset = 42;
  r.key = "thread-7";
  r.value = std::string{bytes};
  r.headers = {{"__connect.errors.topic", "events"},
               {"dashstream.dlq.error_type", "decode_error"},
               {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-"
                               "b7ad6b7169203331-01"}};
  for (const auto& f : all_filters) {
    dlq_listing out;
    std::set<std::string> seen;
    add_record(out, seen, f, r);
    add_record(out, seen, f, r);
    if (out.scanned != 2 || out.malformed > 2 || out.duplicates > 1 ||
        out.entries.size() + out.malformed > 2 ||
        (f.limit != 0 && out.entries.size() > f.limit)) {
      fail("the counts do not add up");
    }
    for (const auto& e : out.entries) {
      check_entry(f, e);
    }
  }
  // `dashstream tail` prints this summary of a value.
  (void)describe_payload(bytes).dump();
  check_spooled(bytes);
  return 0;
}

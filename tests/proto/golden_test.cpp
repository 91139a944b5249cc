// Pins the wire format: the checked-in vectors in tests/proto/golden/ must
// decode to the values below, and encoding the same messages today must give
// the same bytes. A failure here means existing records or existing consumers
// would no longer work with us.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>
#include <zstd.h>

#include "proto/codec.hpp"
#include "tests/proto/golden_messages.hpp"

using namespace ds::proto;
using namespace ds::proto::golden;

namespace {

// DS_TEST_DATA is the source directory of the test (tests/proto), or tests/
// when the harness points all tests at one root; accept both layouts.
std::string read_golden(const char* file) {
  const char* root = std::getenv("DS_TEST_DATA");
  INFO("DS_TEST_DATA must name the tests source directory");
  REQUIRE(root != nullptr);
  for (const char* sub : {"/golden/", "/proto/golden/"}) {
    std::ifstream in{std::string{root} + sub + file, std::ios::binary};
    if (in) {
      return {std::istreambuf_iterator<char>{in},
              std::istreambuf_iterator<char>{}};
    }
  }
  FAIL("golden vector " << file << " not found under " << root);
  return {};
}

message decode_golden(const char* file, framing want) {
  auto bytes = read_golden(file);
  message out;
  auto info = decode(bytes, {decode_mode::strict}, out);
  INFO(file);
  REQUIRE(info);
  CHECK(info->how == want);
  return out;
}

void check_header(const header& h, const char* thread_id, uint64_t seq,
                  v1::MessageType type, v1::CompressionType compression) {
  static const std::string id{"\x3f\x2a\x9c\x4e\x7b\x1d\x4e\x8a"
                              "\x9c\x0f\x5d\x6e\x7f\x80\x12\x34",
                              16};
  CHECK(h.message_id() == id);
  CHECK(h.timestamp_us() == 1'700'000'000'000'000);
  CHECK(h.tenant_id() == "acme");
  CHECK(h.thread_id() == thread_id);
  CHECK(h.sequence() == seq);
  CHECK(h.type() == type);
  CHECK(h.compression() == compression);
  CHECK(h.schema_version() == 1u);
  CHECK(h.parent_id().empty());
}

std::string decompress(std::string_view frame) {
  auto size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  REQUIRE(size != ZSTD_CONTENTSIZE_UNKNOWN);
  REQUIRE(size != ZSTD_CONTENTSIZE_ERROR);
  std::string out(size, '\0');
  auto n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  REQUIRE(!ZSTD_isError(n));
  REQUIRE(n == size);
  return out;
}

} // namespace

TEST_CASE("golden: a small event is raw-framed") {
  auto msg = decode_golden("event_raw.bin", framing::raw);
  REQUIRE(msg.message_case() == message::kEvent);
  const auto& ev = msg.event();
  check_header(ev.header(), "thread-1", 1, v1::MESSAGE_TYPE_EVENT,
               v1::COMPRESSION_TYPE_NONE);
  CHECK(ev.event_type() == v1::EVENT_TYPE_NODE_START);
  CHECK(ev.node_id() == "planner");
  CHECK(ev.duration_us() == 1500);
  REQUIRE(ev.attributes().size() == 1);
  CHECK(ev.attributes().at("model").string_value() == "gpt-4o-mini");
  // The framing byte and the first field: Event (field 1, length-delimited).
  auto bytes = read_golden("event_raw.bin");
  CHECK(bytes.substr(0, 2) == std::string{"\x00\x0a", 2});
}

TEST_CASE("golden: a large event is zstd-framed and marked") {
  auto msg = decode_golden("event_zstd.bin", framing::zstd);
  REQUIRE(msg.message_case() == message::kEvent);
  const auto& ev = msg.event();
  check_header(ev.header(), "thread-1", 2, v1::MESSAGE_TYPE_EVENT,
               v1::COMPRESSION_TYPE_ZSTD);
  CHECK(ev.event_type() == v1::EVENT_TYPE_LLM_END);
  CHECK(ev.node_id() == "writer");
  CHECK(ev.duration_us() == 2'500'000);
  CHECK(ev.llm_request_id() == "req-7");
  const auto& text = ev.attributes().at("response").string_value();
  CHECK(text.size() == 4096u);
  CHECK(text.substr(0, 30) == "before before about next user ");
  auto bytes = read_golden("event_zstd.bin");
  CHECK(bytes.size() < 2048u);
  CHECK(ZSTD_getFrameContentSize(bytes.data() + 1, bytes.size() - 1) ==
        msg.ByteSizeLong());
}

TEST_CASE("golden: a batch carries three threads") {
  auto msg = decode_golden("event_batch_raw.bin", framing::raw);
  REQUIRE(msg.message_case() == message::kEventBatch);
  const auto& b = msg.event_batch();
  check_header(b.header(), "batch-1", 0, v1::MESSAGE_TYPE_EVENT_BATCH,
               v1::COMPRESSION_TYPE_NONE);
  REQUIRE(b.events_size() == 3);
  const char* threads[] = {"thread-a", "thread-b", "thread-c"};
  const char* nodes[] = {"node-0", "node-1", "node-2"};
  for (int i = 0; i < 3; ++i) {
    INFO("event " << i);
    check_header(b.events(i).header(), threads[i], static_cast<uint64_t>(i) + 1,
                 v1::MESSAGE_TYPE_EVENT, v1::COMPRESSION_TYPE_NONE);
    CHECK(b.events(i).event_type() == v1::EVENT_TYPE_NODE_END);
    CHECK(b.events(i).node_id() == nodes[i]);
  }
  CHECK(record_key(msg) == "batch-1");
}

TEST_CASE("golden: a token chunk") {
  auto msg = decode_golden("token_chunk_raw.bin", framing::raw);
  REQUIRE(msg.message_case() == message::kTokenChunk);
  const auto& tc = msg.token_chunk();
  check_header(tc.header(), "thread-1", 3, v1::MESSAGE_TYPE_TOKEN_CHUNK,
               v1::COMPRESSION_TYPE_NONE);
  CHECK(tc.request_id() == "req-7");
  CHECK(tc.text() == "Hello");
  REQUIRE(tc.token_ids_size() == 2);
  CHECK(tc.token_ids(0) == 9906u);
  CHECK(tc.token_ids(1) == 13u);
  REQUIRE(tc.logprobs_size() == 2);
  CHECK(tc.logprobs(0) == -0.5f);
  CHECK(tc.logprobs(1) == -0.25f);
  CHECK(tc.chunk_index() == 4u);
  CHECK(tc.is_final());
  CHECK(tc.finish_reason() == v1::TokenChunk::STOP);
  CHECK(tc.model() == "gpt-4o-mini");
  CHECK(tc.stats().prompt_tokens() == 12u);
  CHECK(tc.stats().completion_tokens() == 5u);
  CHECK(tc.stats().total_tokens() == 17u);
}

TEST_CASE("golden: a quality metrics message") {
  auto msg = decode_golden("metrics_quality_raw.bin", framing::raw);
  REQUIRE(msg.message_case() == message::kMetrics);
  const auto& m = msg.metrics();
  check_header(m.header(), "thread-1", 4, v1::MESSAGE_TYPE_METRICS,
               v1::COMPRESSION_TYPE_NONE);
  CHECK(m.scope() == "quality");
  CHECK(m.scope_id() == "run-1");
  REQUIRE(m.metrics().size() == 1);
  const auto& score = m.metrics().at("quality_score");
  CHECK(score.value_case() == v1::MetricValue::kFloatValue);
  CHECK(score.float_value() == 0.875);
  CHECK(score.type() == v1::MetricValue::GAUGE);
  REQUIRE(m.tags().size() == 1);
  CHECK(m.tags().at("model") == "gpt-4o-mini");
}

TEST_CASE("golden: a state diff") {
  auto msg = decode_golden("state_diff_raw.bin", framing::raw);
  REQUIRE(msg.message_case() == message::kStateDiff);
  const auto& sd = msg.state_diff();
  check_header(sd.header(), "thread-1", 5, v1::MESSAGE_TYPE_STATE_DIFF,
               v1::COMPRESSION_TYPE_NONE);
  CHECK(sd.base_checkpoint_id() == "ckpt-1");
  REQUIRE(sd.operations_size() == 2);
  CHECK(sd.operations(0).op() == v1::DiffOperation::REPLACE);
  CHECK(sd.operations(0).path() == "/status");
  CHECK(sd.operations(0).value() == "\"done\"");
  CHECK(sd.operations(0).encoding() == v1::DiffOperation::JSON);
  CHECK(sd.operations(1).op() == v1::DiffOperation::MOVE);
  CHECK(sd.operations(1).path() == "/archive/0");
  CHECK(sd.operations(1).from() == "/messages/0");
  CHECK(sd.state_hash() == std::string{"\xde\xad\xbe\xef", 4});
  CHECK(sd.full_state().empty());
}

TEST_CASE("golden: encoding the same messages gives the same bytes") {
  for (const auto& gv : golden_vectors()) {
    INFO(gv.file);
    auto file = read_golden(gv.file);
    auto msg = gv.make();
    auto bytes = encode(msg);
    REQUIRE(bytes);
    REQUIRE(file.size() > 1);
    REQUIRE(bytes->front() == file.front());
    if (file.front() == '\x00') {
      CHECK(*bytes == file);
    } else {
      // zstd may emit different (equally valid) frames across library
      // versions, so pin what the frame carries, not how it compresses.
      CHECK(decompress(std::string_view{*bytes}.substr(1)) ==
            decompress(std::string_view{file}.substr(1)));
    }
  }
}

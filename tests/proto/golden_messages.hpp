#pragma once

// The messages behind the checked-in golden vectors in tests/proto/golden/.
// golden_gen writes their encodings; golden_test re-encodes them and compares
// with the files. Changing anything here changes the vectors: regenerate them
// only for a deliberate, compatible change and say so in the commit.
//
// Every map holds at most one entry: protobuf does not define the order in
// which map entries are serialised, so a second entry would make the bytes
// vary from run to run.

#include <string>
#include <vector>

#include "proto/headers.hpp"

namespace ds::proto::golden {

namespace v1 = dashstream::v1;

/// UUIDv4 3f2a9c4e-7b1d-4e8a-9c0f-5d6e7f801234.
inline std::string golden_message_id() {
  return std::string{"\x3f\x2a\x9c\x4e\x7b\x1d\x4e\x8a"
                     "\x9c\x0f\x5d\x6e\x7f\x80\x12\x34",
                     16};
}

/// 2023-11-14T22:13:20Z.
constexpr int64_t golden_timestamp_us = 1'700'000'000'000'000;

inline void golden_header(header& h, const char* thread_id, uint64_t seq,
                          v1::MessageType type) {
  h.set_message_id(golden_message_id());
  h.set_timestamp_us(golden_timestamp_us);
  h.set_tenant_id("acme");
  h.set_thread_id(thread_id);
  h.set_sequence(seq);
  h.set_type(type);
  h.set_schema_version(1);
}

/// Deterministic, compressible prose of exactly `n` bytes.
inline std::string golden_text(std::size_t n) {
  static constexpr const char* words[] = {
    "the",   "agent",  "retrieved", "three",   "documents",
    "about", "kafka",  "consumer",  "groups",  "and",
    "wrote", "a",      "short",     "summary", "for",
    "user",  "before", "calling",   "next",    "tool"};
  std::string out;
  uint32_t state = 12345;
  while (out.size() < n) {
    state = state * 1103515245u + 12345u;
    out += words[(state >> 16) % 20];
    out += ' ';
  }
  out.resize(n);
  return out;
}

inline message event_raw() {
  message msg;
  auto* ev = msg.mutable_event();
  golden_header(*ev->mutable_header(), "thread-1", 1, v1::MESSAGE_TYPE_EVENT);
  ev->set_event_type(v1::EVENT_TYPE_NODE_START);
  ev->set_node_id("planner");
  (*ev->mutable_attributes())["model"].set_string_value("gpt-4o-mini");
  ev->set_duration_us(1500);
  return msg;
}

inline message event_zstd() {
  message msg;
  auto* ev = msg.mutable_event();
  golden_header(*ev->mutable_header(), "thread-1", 2, v1::MESSAGE_TYPE_EVENT);
  ev->set_event_type(v1::EVENT_TYPE_LLM_END);
  ev->set_node_id("writer");
  (*ev->mutable_attributes())["response"].set_string_value(golden_text(4096));
  ev->set_duration_us(2'500'000);
  ev->set_llm_request_id("req-7");
  return msg;
}

inline message event_batch_raw() {
  message msg;
  auto* b = msg.mutable_event_batch();
  golden_header(*b->mutable_header(), "batch-1", 0,
                v1::MESSAGE_TYPE_EVENT_BATCH);
  const char* threads[] = {"thread-a", "thread-b", "thread-c"};
  for (int i = 0; i < 3; ++i) {
    auto* ev = b->add_events();
    golden_header(*ev->mutable_header(), threads[i],
                  static_cast<uint64_t>(i) + 1, v1::MESSAGE_TYPE_EVENT);
    ev->set_event_type(v1::EVENT_TYPE_NODE_END);
    ev->set_node_id("node-" + std::to_string(i));
  }
  return msg;
}

inline message token_chunk_raw() {
  message msg;
  auto* tc = msg.mutable_token_chunk();
  golden_header(*tc->mutable_header(), "thread-1", 3,
                v1::MESSAGE_TYPE_TOKEN_CHUNK);
  tc->set_request_id("req-7");
  tc->set_text("Hello");
  tc->add_token_ids(9906);
  tc->add_token_ids(13);
  tc->add_logprobs(-0.5f);
  tc->add_logprobs(-0.25f);
  tc->set_chunk_index(4);
  tc->set_is_final(true);
  tc->set_finish_reason(v1::TokenChunk::STOP);
  tc->set_model("gpt-4o-mini");
  tc->mutable_stats()->set_prompt_tokens(12);
  tc->mutable_stats()->set_completion_tokens(5);
  tc->mutable_stats()->set_total_tokens(17);
  return msg;
}

inline message metrics_quality_raw() {
  message msg;
  auto* m = msg.mutable_metrics();
  golden_header(*m->mutable_header(), "thread-1", 4, v1::MESSAGE_TYPE_METRICS);
  m->set_scope("quality");
  m->set_scope_id("run-1");
  auto& score = (*m->mutable_metrics())["quality_score"];
  score.set_float_value(0.875);
  score.set_type(v1::MetricValue::GAUGE);
  (*m->mutable_tags())["model"] = "gpt-4o-mini";
  return msg;
}

inline message state_diff_raw() {
  message msg;
  auto* sd = msg.mutable_state_diff();
  golden_header(*sd->mutable_header(), "thread-1", 5,
                v1::MESSAGE_TYPE_STATE_DIFF);
  sd->set_base_checkpoint_id("ckpt-1");
  auto* op1 = sd->add_operations();
  op1->set_op(v1::DiffOperation::REPLACE);
  op1->set_path("/status");
  op1->set_value(R"("done")");
  op1->set_encoding(v1::DiffOperation::JSON);
  auto* op2 = sd->add_operations();
  op2->set_op(v1::DiffOperation::MOVE);
  op2->set_path("/archive/0");
  op2->set_from("/messages/0");
  sd->set_state_hash(std::string{"\xde\xad\xbe\xef", 4});
  return msg;
}

struct golden_vector {
  const char* file;
  message (*make)();
};

inline std::vector<golden_vector> golden_vectors() {
  return {
    {"event_raw.bin", event_raw},
    {"event_zstd.bin", event_zstd},
    {"event_batch_raw.bin", event_batch_raw},
    {"token_chunk_raw.bin", token_chunk_raw},
    {"metrics_quality_raw.bin", metrics_quality_raw},
    {"state_diff_raw.bin", state_diff_raw},
  };
}

} // namespace ds::proto::golden

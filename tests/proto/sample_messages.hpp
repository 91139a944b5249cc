#pragma once

// Builders for one message of every DashStreamMessage variant, shared by the
// codec and header tests. Every field the contract names is filled with a
// distinctive value, so a round trip that drops or mangles any of them shows
// up in a message comparison. `pad` grows the message with compressible text
// (a zstd-friendly payload for the "large" cases).

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "proto/headers.hpp"

namespace ds::proto::test {

namespace v1 = dashstream::v1;

/// Compressible English-like text of exactly `n` bytes.
inline std::string filler(std::size_t n) {
  static constexpr std::string_view sentence =
    "the agent called the search tool and summarised the result. ";
  std::string text;
  text.reserve(n);
  while (text.size() < n) {
    text.append(sentence.substr(0, n - text.size()));
  }
  return text;
}

inline void fill_header(header& h, std::string thread_id, uint64_t seq,
                        v1::MessageType type) {
  static constexpr char id[] = "\x6b\x1d\x0e\x2f\x93\x4c\x4a\x51"
                               "\x8d\x22\x01\x7e\xc4\x55\x90\x3a";
  h.set_message_id(std::string{id, 16});
  h.set_timestamp_us(1'700'000'000'123'456);
  h.set_tenant_id("tenant-a");
  h.set_thread_id(std::move(thread_id));
  h.set_sequence(seq);
  h.set_type(type);
  h.set_parent_id(std::string(16, '\x11'));
  h.set_schema_version(1);
}

/// An Event; `rich` adds one attribute of every AttributeValue kind.
inline v1::Event sample_event(std::string thread_id, uint64_t seq,
                              std::size_t pad, bool rich = true) {
  v1::Event ev;
  fill_header(*ev.mutable_header(), std::move(thread_id), seq,
              v1::MESSAGE_TYPE_EVENT);
  ev.set_event_type(v1::EVENT_TYPE_LLM_END);
  ev.set_node_id("planner");
  ev.set_duration_us(std::numeric_limits<int64_t>::max());
  auto& attrs = *ev.mutable_attributes();
  if (pad > 0) {
    attrs["text"].set_string_value(filler(pad));
  }
  if (!rich) {
    return ev;
  }
  ev.set_llm_request_id("req-42");
  attrs["model"].set_string_value("gpt-4o-mini");
  attrs["tokens"].set_int_value(-17);
  attrs["temperature"].set_float_value(0.25);
  attrs["cached"].set_bool_value(true);
  attrs["blob"].set_bytes_value(std::string{"\x00\xff\x01", 3});
  auto* arr = attrs["tags"].mutable_array_value();
  arr->add_values()->set_string_value("a");
  arr->add_values()->set_int_value(2);
  (*attrs["nested"].mutable_map_value()->mutable_values())["k"].set_bool_value(
    false);
  return ev;
}

inline message make_event(std::size_t pad) {
  message msg;
  *msg.mutable_event() = sample_event("thread-event", 7, pad);
  return msg;
}

inline message make_state_diff(std::size_t pad) {
  message msg;
  auto* sd = msg.mutable_state_diff();
  fill_header(*sd->mutable_header(), "thread-state-diff", 8,
              v1::MESSAGE_TYPE_STATE_DIFF);
  sd->set_base_checkpoint_id("ckpt-0001");
  auto* add = sd->add_operations();
  add->set_op(v1::DiffOperation::ADD);
  add->set_path("/messages/3");
  add->set_value(R"({"role":"assistant","content":"done"})");
  add->set_encoding(v1::DiffOperation::JSON);
  auto* mv = sd->add_operations();
  mv->set_op(v1::DiffOperation::MOVE);
  mv->set_path("/b");
  mv->set_from("/a");
  mv->set_encoding(v1::DiffOperation::RAW);
  sd->set_state_hash(std::string(32, '\xab'));
  sd->set_full_state(filler(pad));
  return msg;
}

inline message make_token_chunk(std::size_t pad) {
  message msg;
  auto* tc = msg.mutable_token_chunk();
  fill_header(*tc->mutable_header(), "thread-token-chunk", 9,
              v1::MESSAGE_TYPE_TOKEN_CHUNK);
  tc->set_request_id("req-42");
  tc->set_text("Hello, world. " + filler(pad));
  for (uint32_t id : {15339u, 11u, 1917u, 13u}) {
    tc->add_token_ids(id);
  }
  for (float lp : {-0.01f, -1.5f, -0.25f, 0.0f}) {
    tc->add_logprobs(lp);
  }
  tc->set_chunk_index(3);
  tc->set_is_final(true);
  tc->set_finish_reason(v1::TokenChunk::STOP);
  tc->set_model("gpt-4o-mini");
  tc->mutable_stats()->set_prompt_tokens(120);
  tc->mutable_stats()->set_completion_tokens(4);
  tc->mutable_stats()->set_total_tokens(124);
  return msg;
}

inline message make_tool_execution(std::size_t pad) {
  message msg;
  auto* te = msg.mutable_tool_execution();
  fill_header(*te->mutable_header(), "thread-tool-execution", 10,
              v1::MESSAGE_TYPE_TOOL_EXECUTION);
  te->set_call_id("call-1");
  te->set_tool_name("web_search");
  te->set_stage(v1::ToolExecution::FAILED);
  te->set_arguments(R"({"q":"kafka exactly once"})");
  te->set_result(filler(pad));
  te->set_error("timeout");
  te->mutable_error_details()->set_error_code("E_TIMEOUT");
  te->mutable_error_details()->set_severity(v1::Error::WARNING);
  te->set_duration_us(5'000'123);
  te->set_retry_count(2);
  return msg;
}

inline message make_checkpoint(std::size_t pad) {
  message msg;
  auto* cp = msg.mutable_checkpoint();
  fill_header(*cp->mutable_header(), "thread-checkpoint", 11,
              v1::MESSAGE_TYPE_CHECKPOINT);
  cp->set_checkpoint_id("ckpt-0002");
  cp->set_state(filler(pad));
  cp->set_state_type("json");
  cp->set_checksum(std::string(32, '\x5a'));
  cp->set_storage_uri("s3://bucket/ckpt-0002");
  auto* ci = cp->mutable_compression_info();
  ci->set_type(v1::COMPRESSION_TYPE_ZSTD);
  ci->set_compressed_size(100);
  ci->set_uncompressed_size(400);
  ci->set_compression_ratio(4.0f);
  (*cp->mutable_metadata())["graph"] = "research";
  (*cp->mutable_metadata())["step"] = "12";
  return msg;
}

inline message make_metrics(std::size_t pad) {
  message msg;
  auto* m = msg.mutable_metrics();
  fill_header(*m->mutable_header(), "thread-metrics", 12,
              v1::MESSAGE_TYPE_METRICS);
  m->set_scope("quality");
  m->set_scope_id("run-9");
  auto& values = *m->mutable_metrics();
  values["quality_score"].set_float_value(0.875);
  values["quality_score"].set_type(v1::MetricValue::GAUGE);
  values["passed"].set_bool_value(true);
  values["latency_ms"].set_int_value(1234);
  values["latency_ms"].set_unit("ms");
  values["verdict"].set_string_value("good");
  values["raw"].set_bytes_value("\x01\x02");
  (*m->mutable_tags())["model"] = "gpt-4o-mini";
  (*m->mutable_tags())["category"] = "retrieval";
  if (pad > 0) {
    (*m->mutable_tags())["notes"] = filler(pad);
  }
  return msg;
}

inline message make_error_msg(std::size_t pad) {
  message msg;
  auto* e = msg.mutable_error();
  fill_header(*e->mutable_header(), "thread-error", 13, v1::MESSAGE_TYPE_ERROR);
  e->set_error_code("E_TOOL");
  e->set_message("tool failed");
  e->set_stack_trace(filler(pad));
  (*e->mutable_context())["node"] = "planner";
  e->set_severity(v1::Error::FATAL);
  e->set_exception_type("ToolError");
  e->add_suggestions("retry later");
  e->add_suggestions("check the API key");
  return msg;
}

inline message make_event_batch(std::size_t pad) {
  message msg;
  auto* b = msg.mutable_event_batch();
  fill_header(*b->mutable_header(), "thread-batch", 0,
              v1::MESSAGE_TYPE_EVENT_BATCH);
  uint64_t seq = 1;
  for (const char* thread : {"t-alpha", "t-beta", "t-gamma"}) {
    *b->add_events() = sample_event(thread, seq++, pad / 3, false);
  }
  return msg;
}

inline message make_execution_trace(std::size_t pad) {
  message msg;
  auto* t = msg.mutable_execution_trace();
  fill_header(*t->mutable_header(), "thread-execution-trace", 14,
              v1::MESSAGE_TYPE_EXECUTION_TRACE);
  t->set_thread_id("trace-own-thread-field");
  t->set_execution_id("exec-5");
  for (const char* node : {"planner", "writer"}) {
    auto* n = t->add_nodes_executed();
    n->set_node(node);
    n->set_duration_ms(250);
    n->set_prompt_tokens(100);
    n->set_completion_tokens(20);
    n->set_total_tokens(120);
    n->set_succeeded(true);
    n->set_started_at(1'700'000'000'000);
    n->set_ended_at(1'700'000'000'250);
    n->set_input("in");
    n->set_output("out");
    (*n->mutable_metadata())["attempt"] = "1";
  }
  auto* err = t->add_errors();
  err->set_node("writer");
  err->set_message("rate limited");
  err->set_error_code("429");
  err->set_timestamp(1'700'000'000'100);
  err->set_recovered(true);
  err->set_stack_trace("at writer()");
  t->set_total_duration_ms(500);
  t->set_total_tokens(240);
  t->set_completed(true);
  t->set_started_at(1'700'000'000'000);
  t->set_ended_at(1'700'000'000'500);
  t->set_final_state(filler(pad));
  (*t->mutable_metadata())["bin"] = std::string{"\x00\x01", 2};
  return msg;
}

struct variant_case {
  const char* name;
  v1::MessageType type;
  std::string thread_id;
  std::function<message(std::size_t)> make;
};

/// One entry per oneof variant of DashStreamMessage, in field order.
inline std::vector<variant_case> all_variants() {
  return {
    {"event", v1::MESSAGE_TYPE_EVENT, "thread-event", make_event},
    {"state_diff", v1::MESSAGE_TYPE_STATE_DIFF, "thread-state-diff",
     make_state_diff},
    {"token_chunk", v1::MESSAGE_TYPE_TOKEN_CHUNK, "thread-token-chunk",
     make_token_chunk},
    {"tool_execution", v1::MESSAGE_TYPE_TOOL_EXECUTION, "thread-tool-execution",
     make_tool_execution},
    {"checkpoint", v1::MESSAGE_TYPE_CHECKPOINT, "thread-checkpoint",
     make_checkpoint},
    {"metrics", v1::MESSAGE_TYPE_METRICS, "thread-metrics", make_metrics},
    {"error", v1::MESSAGE_TYPE_ERROR, "thread-error", make_error_msg},
    {"event_batch", v1::MESSAGE_TYPE_EVENT_BATCH, "thread-batch",
     make_event_batch},
    {"execution_trace", v1::MESSAGE_TYPE_EXECUTION_TRACE,
     "thread-execution-trace", make_execution_trace},
  };
}

/// Empty when `a` and `b` hold the same fields; otherwise protobuf's report
/// of what differs, so a failing CHECK shows it.
inline std::string differences(const message& a, const message& b) {
  std::string report;
  google::protobuf::util::MessageDifferencer diff;
  diff.ReportDifferencesToString(&report);
  if (!diff.Compare(a, b) && report.empty()) {
    report = "messages differ";
  }
  return report;
}

// Removes the variant's header, whichever variant is set.
inline void drop_top_header(message& msg) {
  switch (msg.message_case()) {
    case message::kEvent:
      msg.mutable_event()->clear_header();
      break;
    case message::kStateDiff:
      msg.mutable_state_diff()->clear_header();
      break;
    case message::kTokenChunk:
      msg.mutable_token_chunk()->clear_header();
      break;
    case message::kToolExecution:
      msg.mutable_tool_execution()->clear_header();
      break;
    case message::kCheckpoint:
      msg.mutable_checkpoint()->clear_header();
      break;
    case message::kMetrics:
      msg.mutable_metrics()->clear_header();
      break;
    case message::kError:
      msg.mutable_error()->clear_header();
      break;
    case message::kEventBatch:
      msg.mutable_event_batch()->clear_header();
      break;
    case message::kExecutionTrace:
      msg.mutable_execution_trace()->clear_header();
      break;
    case message::MESSAGE_NOT_SET:
      break;
  }
}

} // namespace ds::proto::test

#include "tools/workload/message_factory.hpp"

#include <array>
#include <chrono>
#include <cstring>
#include <functional>

namespace ds::workload {

namespace v1 = dashstream::v1;

namespace {

using namespace std::string_view_literals;

constexpr std::array vocabulary{
  "the"sv,       "agent"sv,      "planner"sv,   "called"sv,    "search"sv,
  "tool"sv,      "and"sv,        "read"sv,      "result"sv,    "user"sv,
  "asked"sv,     "for"sv,        "a"sv,         "summary"sv,   "of"sv,
  "quarterly"sv, "report"sv,     "model"sv,     "returned"sv,  "answer"sv,
  "with"sv,      "three"sv,      "citations"sv, "next"sv,      "step"sv,
  "checks"sv,    "sources"sv,    "before"sv,    "writing"sv,   "final"sv,
  "response"sv,  "context"sv,    "window"sv,    "contains"sv,  "previous"sv,
  "messages"sv,  "retrieved"sv,  "documents"sv, "ranked"sv,    "by"sv,
  "relevance"sv, "critic"sv,     "node"sv,      "found"sv,     "missing"sv,
  "detail"sv,    "so"sv,         "writer"sv,    "revised"sv,   "draft"sv,
  "latency"sv,   "stayed"sv,     "under"sv,     "budget"sv,    "while"sv,
  "tokens"sv,    "were"sv,       "streamed"sv,  "to"sv,        "browser"sv,
  "database"sv,  "query"sv,      "timed"sv,     "out"sv,       "once"sv,
  "retry"sv,     "succeeded"sv,  "state"sv,     "was"sv,       "saved"sv,
  "in"sv,        "checkpoint"sv, "graph"sv,     "continued"sv, "from"sv,
  "branch"sv,    "that"sv,       "handles"sv,   "follow"sv,    "up"sv,
  "questions"sv, "about"sv,      "pricing"sv,   "refund"sv,    "policy"sv,
  "customer"sv,  "order"sv,      "shipping"sv,  "address"sv,   "invoice"sv,
  "is"sv,        "it"sv,         "on"sv,        "this"sv,      "then"sv,
};

constexpr std::array<std::string_view, 6> nodes{
  "planner", "researcher", "tool_router", "writer", "critic", "summarizer"};
constexpr std::array<std::string_view, 5> tools{
  "web_search", "calculator", "code_interpreter", "sql_query", "file_reader"};
constexpr std::array<std::string_view, 4> models{
  "gpt-4o", "claude-3-5-sonnet", "llama-3-70b", "mistral-large"};
constexpr std::array<std::string_view, 5> categories{
  "search", "coding", "summarization", "qa", "planning"};
constexpr std::array<v1::EventType, 14> event_types{
  v1::EVENT_TYPE_NODE_START,      v1::EVENT_TYPE_NODE_END,
  v1::EVENT_TYPE_LLM_START,       v1::EVENT_TYPE_LLM_END,
  v1::EVENT_TYPE_TOOL_START,      v1::EVENT_TYPE_TOOL_END,
  v1::EVENT_TYPE_EDGE_TRAVERSAL,  v1::EVENT_TYPE_CONDITIONAL_BRANCH,
  v1::EVENT_TYPE_NODE_PROGRESS,   v1::EVENT_TYPE_NODE_THINKING,
  v1::EVENT_TYPE_GRAPH_START,     v1::EVENT_TYPE_GRAPH_END,
  v1::EVENT_TYPE_CHECKPOINT_SAVE, v1::EVENT_TYPE_MEMORY_LOAD};

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// Sets the padding field to the first `len` bytes of a source string.
using pad_setter = std::function<void(std::size_t len)>;

} // namespace

message_factory::message_factory(payload_kind payload, uint64_t seed)
  : payload_(payload), rng_(seed) {}

uint64_t message_factory::below(uint64_t n) {
  return rng_() % n;
}

std::string_view message_factory::pick(std::span<const std::string_view> xs) {
  return xs[below(xs.size())];
}

std::string message_factory::words(std::size_t n) {
  std::string out;
  out.reserve(n + 16);
  std::size_t in_sentence = 0;
  while (out.size() < n) {
    out += vocabulary[below(vocabulary.size())];
    if (++in_sentence >= 8 + below(8)) {
      out += ". ";
      in_sentence = 0;
    } else {
      out += ' ';
    }
  }
  out.resize(n);
  return out;
}

std::string message_factory::random_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    auto r = rng_();
    std::memcpy(out.data() + i, &r, std::min<std::size_t>(8, n - i));
  }
  return out;
}

std::string message_factory::random_hex(std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) {
    c = digits[below(16)];
  }
  return out;
}

proto::message message_factory::make(message_kind k, std::string_view thread_id,
                                     std::span<const std::string> batch) {
  proto::message msg;
  auto serial = ++serial_;
  auto request_id = "req-" + std::to_string(serial);
  switch (k) {
    case message_kind::event: {
      auto* ev = msg.mutable_event();
      ev->set_event_type(event_types[below(event_types.size())]);
      ev->set_node_id(std::string{pick(nodes)});
      ev->set_duration_us(static_cast<int64_t>(500 + below(250'000)));
      ev->set_llm_request_id(request_id);
      auto& attrs = *ev->mutable_attributes();
      attrs["model"].set_string_value(std::string{pick(models)});
      attrs["attempt"].set_int_value(static_cast<int64_t>(1 + below(3)));
      break;
    }
    case message_kind::batch: {
      auto* b = msg.mutable_event_batch();
      for (const auto& tid : batch) {
        auto* ev = b->add_events();
        ev->mutable_header()->set_thread_id(tid);
        ev->set_event_type(event_types[below(event_types.size())]);
        ev->set_node_id(std::string{pick(nodes)});
        ev->set_duration_us(static_cast<int64_t>(500 + below(250'000)));
      }
      break;
    }
    case message_kind::state_diff: {
      auto* sd = msg.mutable_state_diff();
      sd->set_base_checkpoint_id(random_bytes(16));
      auto* op = sd->add_operations();
      op->set_op(v1::DiffOperation::REPLACE);
      op->set_path("/plan/current_step");
      op->set_value(std::to_string(1 + below(12)));
      op->set_encoding(v1::DiffOperation::JSON);
      op = sd->add_operations();
      op->set_op(v1::DiffOperation::ADD);
      op->set_path("/messages/-");
      op->set_value("\"ok\"");
      op->set_encoding(v1::DiffOperation::JSON);
      sd->set_state_hash(random_bytes(32));
      break;
    }
    case message_kind::token_chunk: {
      auto* tc = msg.mutable_token_chunk();
      tc->set_request_id(request_id);
      tc->set_chunk_index(static_cast<uint32_t>(serial % 64));
      tc->set_model(std::string{pick(models)});
      bool last = below(16) == 0;
      tc->set_is_final(last);
      tc->set_finish_reason(last ? v1::TokenChunk::STOP : v1::TokenChunk::NONE);
      for (int i = 0; i < 4; ++i) {
        tc->add_token_ids(static_cast<uint32_t>(below(100'000)));
      }
      tc->set_text(words(24));
      if (last) {
        auto* st = tc->mutable_stats();
        st->set_prompt_tokens(static_cast<uint32_t>(200 + below(2000)));
        st->set_completion_tokens(static_cast<uint32_t>(50 + below(800)));
        st->set_total_tokens(st->prompt_tokens() + st->completion_tokens());
      }
      break;
    }
    case message_kind::metrics: {
      auto* m = msg.mutable_metrics();
      auto& values = *m->mutable_metrics();
      auto real = [&](const char* name, double v, const char* unit) {
        auto& mv = values[name];
        mv.set_float_value(v);
        mv.set_unit(unit);
        mv.set_type(v1::MetricValue::GAUGE);
      };
      auto integer = [&](const char* name, int64_t v, const char* unit) {
        auto& mv = values[name];
        mv.set_int_value(v);
        mv.set_unit(unit);
        mv.set_type(v1::MetricValue::GAUGE);
      };
      auto unit01 = [&] { return static_cast<double>(below(1001)) / 1000.0; };
      if (below(2) == 0) {
        // What the quality exporter aggregates (contract §6).
        m->set_scope("quality");
        m->set_scope_id(request_id);
        // A healthy service: scores 0.5..1 (mean 0.75), 60 % pass, so
        // demo traffic stays clear of the quality alerts' thresholds.
        auto score = 0.5 + unit01() / 2;
        real("quality_score", score, "ratio");
        values["passed"].set_bool_value(score >= 0.7);
        real("latency_ms", static_cast<double>(80 + below(4000)), "ms");
        integer("retry_count", static_cast<int64_t>(below(3)), "");
        integer("turn_number", static_cast<int64_t>(1 + below(20)), "");
        real("accuracy", unit01(), "ratio");
        real("relevance", unit01(), "ratio");
        real("completeness", unit01(), "ratio");
        (*m->mutable_tags())["model"] = std::string{pick(models)};
        (*m->mutable_tags())["category"] = std::string{pick(categories)};
      } else {
        m->set_scope("node");
        m->set_scope_id(std::string{pick(nodes)});
        real("tokens_per_second", static_cast<double>(20 + below(200)), "1/s");
        integer("prompt_tokens", static_cast<int64_t>(100 + below(4000)),
                "tokens");
        values["calls"].set_int_value(static_cast<int64_t>(1 + below(9)));
        values["calls"].set_type(v1::MetricValue::COUNTER);
      }
      break;
    }
    case message_kind::tool: {
      auto* te = msg.mutable_tool_execution();
      auto tool = pick(tools);
      te->set_call_id("call-" + std::to_string(serial));
      te->set_tool_name(std::string{tool});
      auto stage = below(10);
      te->set_stage(stage == 0  ? v1::ToolExecution::FAILED
                    : stage < 3 ? v1::ToolExecution::STARTED
                                : v1::ToolExecution::COMPLETED);
      te->set_arguments("{\"query\":\"" + words(32) + "\"}");
      te->set_duration_us(static_cast<int64_t>(1000 + below(2'000'000)));
      if (te->stage() == v1::ToolExecution::FAILED) {
        te->set_error(std::string{tool} + " timed out after 30 s");
        te->set_retry_count(1);
      }
      break;
    }
    case message_kind::checkpoint: {
      auto* cp = msg.mutable_checkpoint();
      cp->set_checkpoint_id(random_bytes(16));
      cp->set_state("{\"step\":" + std::to_string(below(40)) + "}");
      cp->set_state_type("json");
      cp->set_checksum(random_bytes(32));
      cp->set_storage_uri("s3://dashflow-checkpoints/" + request_id);
      (*cp->mutable_metadata())["graph"] = "support_agent";
      break;
    }
    case message_kind::error: {
      auto* e = msg.mutable_error();
      e->set_error_code("TOOL_TIMEOUT");
      e->set_message(std::string{pick(tools)} + " did not answer in time");
      e->set_severity(below(4) == 0 ? v1::Error::ERROR : v1::Error::WARNING);
      e->set_exception_type("TimeoutError");
      (*e->mutable_context())["node"] = std::string{pick(nodes)};
      e->add_suggestions("raise the tool timeout or retry with backoff");
      break;
    }
    case message_kind::trace: {
      auto* tr = msg.mutable_execution_trace();
      tr->set_thread_id(std::string{thread_id});
      tr->set_execution_id("exec-" + std::to_string(serial));
      auto start = now_us() / 1000 - static_cast<int64_t>(below(60'000));
      uint64_t total_ms = 0;
      uint64_t total_tokens = 0;
      for (int i = 0; i < 3; ++i) {
        auto* n = tr->add_nodes_executed();
        n->set_node(std::string{nodes[static_cast<std::size_t>(i)]});
        n->set_duration_ms(20 + below(3000));
        n->set_prompt_tokens(100 + below(2000));
        n->set_completion_tokens(20 + below(500));
        n->set_total_tokens(n->prompt_tokens() + n->completion_tokens());
        n->set_succeeded(true);
        n->set_started_at(start + static_cast<int64_t>(total_ms));
        total_ms += n->duration_ms();
        n->set_ended_at(start + static_cast<int64_t>(total_ms));
        total_tokens += n->total_tokens();
      }
      tr->set_total_duration_ms(total_ms);
      tr->set_total_tokens(total_tokens);
      tr->set_completed(true);
      tr->set_started_at(start);
      tr->set_ended_at(start + static_cast<int64_t>(total_ms));
      break;
    }
  }
  return msg;
}

void message_factory::pad(proto::message& msg, std::size_t target) {
  auto size = msg.ByteSizeLong();
  if (size >= target) {
    return;
  }
  // Some setters replace a small field that was already there, so the
  // padding may need a little more than the deficit; one source string
  // with that slack serves every attempt.
  constexpr std::size_t replaced_slack = 64;
  const std::size_t deficit = target - size;
  const std::size_t max_len = deficit + replaced_slack;
  const bool text = payload_ == payload_kind::text;
  std::string source = text ? words(max_len) : random_bytes(max_len);
  pad_setter set;
  switch (msg.message_case()) {
    case proto::message::kEvent: {
      // Pointers are captured by value: `set` outlives this block.
      auto* attrs = msg.mutable_event()->mutable_attributes();
      set = [&source, text, attrs](std::size_t len) {
        auto chunk = source.substr(0, len);
        if (text) {
          (*attrs)["llm_output"].set_string_value(std::move(chunk));
        } else {
          (*attrs)["payload"].set_bytes_value(std::move(chunk));
        }
      };
      break;
    }
    case proto::message::kEventBatch: {
      auto* events = msg.mutable_event_batch()->mutable_events();
      set = [&source, text, events](std::size_t len) {
        auto n = static_cast<std::size_t>(events->size());
        std::size_t offset = 0;
        for (std::size_t i = 0; i < n; ++i) {
          auto share = len / n + (i < len % n ? 1 : 0);
          auto chunk = source.substr(offset, share);
          offset += share;
          auto& attrs = *(*events)[static_cast<int>(i)].mutable_attributes();
          if (text) {
            attrs["llm_output"].set_string_value(std::move(chunk));
          } else {
            attrs["payload"].set_bytes_value(std::move(chunk));
          }
        }
      };
      break;
    }
    case proto::message::kStateDiff: {
      auto* sd = msg.mutable_state_diff();
      set = [&, text, sd](std::size_t len) {
        if (text) {
          // A JSON string value: the words plus two quotes.
          auto n = len >= 2 ? len - 2 : 0;
          sd->mutable_operations(1)->set_value("\"" + source.substr(0, n) +
                                               "\"");
        } else {
          sd->set_full_state(source.substr(0, len));
        }
      };
      break;
    }
    case proto::message::kTokenChunk: {
      auto* tc = msg.mutable_token_chunk();
      auto base = tc->text();
      set = [&, text, tc, base](std::size_t len) {
        if (text) {
          tc->set_text(base + source.substr(0, len));
        } else {
          // Random bit patterns as packed floats: as incompressible as the
          // bytes they come from.
          tc->clear_logprobs();
          for (std::size_t i = 0; i + 4 <= len; i += 4) {
            float f;
            std::memcpy(&f, source.data() + i, 4);
            tc->add_logprobs(f);
          }
        }
      };
      break;
    }
    case proto::message::kMetrics: {
      auto* values = msg.mutable_metrics()->mutable_metrics();
      set = [&source, text, values](std::size_t len) {
        if (text) {
          (*values)["response_excerpt"].set_string_value(source.substr(0, len));
        } else {
          (*values)["sample"].set_bytes_value(source.substr(0, len));
        }
      };
      break;
    }
    case proto::message::kToolExecution: {
      auto* te = msg.mutable_tool_execution();
      set = [&, text, te](std::size_t len) {
        if (text) {
          auto n = len >= 14 ? len - 14 : 0;
          te->set_result("{\"summary\":\"" + source.substr(0, n) + "\"}");
        } else {
          te->set_result(source.substr(0, len));
        }
      };
      break;
    }
    case proto::message::kCheckpoint: {
      auto* cp = msg.mutable_checkpoint();
      set = [&, text, cp](std::size_t len) {
        if (text) {
          auto n = len >= 13 ? len - 13 : 0;
          cp->set_state("{\"memory\":\"" + source.substr(0, n) + "\"}");
        } else {
          cp->set_state(source.substr(0, len));
        }
      };
      break;
    }
    case proto::message::kError: {
      auto* e = msg.mutable_error();
      if (!text) {
        // Error has only string fields, which must be UTF-8: hex is the
        // closest to random it can carry.
        source = random_hex(max_len);
      }
      set = [&, e](std::size_t len) {
        e->set_stack_trace(source.substr(0, len));
      };
      break;
    }
    case proto::message::kExecutionTrace: {
      auto* tr = msg.mutable_execution_trace();
      set = [&, text, tr](std::size_t len) {
        if (text) {
          auto n = len >= 13 ? len - 13 : 0;
          tr->set_final_state("{\"answer\":\"" + source.substr(0, n) + "\"}");
        } else {
          tr->set_final_state(source.substr(0, len));
        }
      };
      break;
    }
    case proto::message::MESSAGE_NOT_SET:
      return;
  }
  // Field overhead (tags, lengths, map entries) depends on the length
  // itself: a few corrections usually land exactly. The encoded size only
  // grows with len, so finish with short steps to the largest len that
  // does not overshoot (packed floats move in steps of four).
  std::size_t len = deficit;
  set(len);
  size = msg.ByteSizeLong();
  for (int i = 0; i < 4 && size != target; ++i) {
    auto next = size > target ? len - std::min(len, size - target)
                              : std::min(max_len, len + (target - size));
    if (next == len) {
      break;
    }
    len = next;
    set(len);
    size = msg.ByteSizeLong();
  }
  if (size == target) {
    return;
  }
  // From here on the message always holds `len` and measures `size`.
  for (int i = 0; i < 16 && size > target && len > 0; ++i) {
    set(--len);
    size = msg.ByteSizeLong();
  }
  for (int i = 0; i < 16 && size < target && len < max_len; ++i) {
    set(len + 1);
    auto bigger = msg.ByteSizeLong();
    if (bigger > target) {
      set(len);
      return;
    }
    ++len;
    size = bigger;
  }
}

} // namespace ds::workload

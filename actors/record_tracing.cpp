#include "actors/record_tracing.hpp"

#include <array>
#include <cstdio>

namespace ds::actors {

namespace {

using trace::attribute_value;

// The Header's message_id, a 16-byte UUID, in its usual spelling.
std::string uuid_text(std::string_view bytes) {
  if (bytes.size() != 16) {
    return {};
  }
  std::string out;
  out.reserve(36);
  constexpr std::string_view digits = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    auto b = static_cast<uint8_t>(bytes[i]);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

std::string_view variant_name(const proto::message& msg) {
  const auto* field = msg.GetDescriptor()->FindFieldByNumber(
    static_cast<int>(msg.message_case()));
  return field != nullptr ? std::string_view{field->name()}
                          : std::string_view{"unset"};
}

} // namespace

record_tracing::record_tracing(std::shared_ptr<const trace::tracer> t,
                               record_tracing_origin origin)
  : tracer_(std::move(t)), origin_(std::move(origin)) {}

bool record_tracing::begin(const source_record& rec, uint64_t batch_ns) {
  // Every record passes here while tracing is on: no allocation until the
  // sampler says yes.
  trace::span_context parent;
  bool has_parent = false;
  std::string_view state;
  for (const auto& [name, value] : rec.headers()) {
    if (name == "traceparent") {
      has_parent = trace::parse_traceparent(value, parent);
    } else if (name == "tracestate") {
      state = value;
    }
  }
  trace::span_context ctx;
  if (!tracer_->start(has_parent ? &parent : nullptr, ctx)) {
    return false;
  }
  if (has_parent) {
    ctx.tracestate = trace::bounded_tracestate(state);
  }
  record r;
  auto& s = r.consume;
  s.context = std::move(ctx);
  if (has_parent) {
    s.parent = parent.span;
  }
  s.name = "process " + origin_.topic;
  s.kind = trace::span_kind::consumer;
  s.start_unix_nano = batch_ns;
  s.attrs = {
    {"messaging.system", attribute_value{std::string{"kafka"}}},
    {"messaging.operation.name", attribute_value{std::string{"process"}}},
    {"messaging.operation.type", attribute_value{std::string{"process"}}},
    {"messaging.destination.name", attribute_value{origin_.topic}},
    {"messaging.destination.partition.id",
     attribute_value{std::to_string(origin_.partition)}},
    {"messaging.consumer.group.name", attribute_value{origin_.group_id}},
    {"messaging.kafka.offset", attribute_value{int64_t{rec.offset}}},
    {"messaging.message.body.size",
     attribute_value{static_cast<int64_t>(rec.value.size())}},
  };
  if (!rec.key.empty()) {
    s.attrs.emplace_back("messaging.kafka.message.key",
                         attribute_value{std::string{rec.key}});
  }
  live_.insert_or_assign(rec.offset, std::move(r));
  return true;
}

trace::span_data record_tracing::child(const record& r, std::string name,
                                       uint64_t start_ns) const {
  trace::span_data s;
  s.context = tracer_->child_of(r.consume.context);
  s.parent = r.consume.context.span;
  s.name = std::move(name);
  s.kind = trace::span_kind::internal;
  s.start_unix_nano = start_ns;
  return s;
}

void record_tracing::decoded(int64_t offset, const proto::message* msg,
                             std::string_view error_type) {
  auto it = live_.find(offset);
  if (it == live_.end()) {
    return;
  }
  auto& r = it->second;
  r.decoded_ns = trace::now_unix_nano();
  auto s = child(r, "decode", r.consume.start_unix_nano);
  s.end_unix_nano = r.decoded_ns;
  if (msg == nullptr) {
    s.status = trace::status_code::error;
    s.status_message = std::string{error_type};
    s.attrs.emplace_back("error.type",
                         attribute_value{std::string{error_type}});
    r.consume.attrs.emplace_back("error.type",
                                 attribute_value{std::string{error_type}});
  } else {
    auto type = std::string{variant_name(*msg)};
    s.attrs.emplace_back("dashstream.message.type", attribute_value{type});
    r.consume.attrs.emplace_back("dashstream.message.type",
                                 attribute_value{std::move(type)});
    if (const auto* h = proto::top_header(*msg)) {
      if (auto id = uuid_text(h->message_id()); !id.empty()) {
        r.consume.attrs.emplace_back("messaging.message.id",
                                     attribute_value{std::move(id)});
      }
      r.consume.attrs.emplace_back("dashstream.thread_id",
                                   attribute_value{h->thread_id()});
      r.consume.attrs.emplace_back(
        "dashstream.sequence",
        attribute_value{static_cast<int64_t>(h->sequence())});
      if (!h->tenant_id().empty()) {
        r.consume.attrs.emplace_back("dashstream.tenant_id",
                                     attribute_value{h->tenant_id()});
      }
    }
  }
  tracer_->finish(std::move(s));
}

void record_tracing::validated(int64_t offset, const record_verdict& verdict) {
  if (live_.empty()) {
    return;
  }
  auto it = live_.find(offset);
  if (it == live_.end()) {
    return;
  }
  auto& r = it->second;
  auto s = child(r, "validate", r.decoded_ns);
  s.end_unix_nano = trace::now_unix_nano();
  s.attrs.emplace_back("dashstream.verdict",
                       attribute_value{std::string{to_string(verdict.kind)}});
  if (verdict.kind != verdict_kind::ok) {
    trace::span_event e;
    e.name = std::string{to_string(verdict.kind)};
    e.time_unix_nano = s.end_unix_nano;
    if (verdict.kind == verdict_kind::gap) {
      e.attrs.emplace_back(
        "dashstream.sequence.missing",
        attribute_value{static_cast<int64_t>(verdict.missing)});
    }
    s.events.push_back(std::move(e));
  }
  tracer_->finish(std::move(s));
}

void record_tracing::dlq_started(int64_t offset, std::string_view error_type,
                                 std::string_view stage_name) {
  auto it = live_.find(offset);
  if (it == live_.end() || it->second.dlq) {
    return;
  }
  auto& r = it->second;
  r.dlq = stage{tracer_->child_of(r.consume.context), r.consume.context.span,
                trace::now_unix_nano()};
  r.dlq_error_type = std::string{error_type};
  r.dlq_stage = std::string{stage_name};
}

void record_tracing::dlq_done(int64_t offset) {
  auto it = live_.find(offset);
  if (it == live_.end() || !it->second.dlq) {
    return;
  }
  auto& r = it->second;
  trace::span_data s;
  s.context = r.dlq->ctx;
  s.parent = r.dlq->parent;
  s.name = "send " + origin_.dlq_topic;
  s.kind = trace::span_kind::producer;
  s.start_unix_nano = r.dlq->start_ns;
  s.end_unix_nano = trace::now_unix_nano();
  s.attrs = {
    {"messaging.system", attribute_value{std::string{"kafka"}}},
    {"messaging.operation.name", attribute_value{std::string{"send"}}},
    {"messaging.operation.type", attribute_value{std::string{"send"}}},
    {"messaging.destination.name", attribute_value{origin_.dlq_topic}},
    {"error.type", attribute_value{r.dlq_error_type}},
    {"dashstream.dlq.stage", attribute_value{r.dlq_stage}},
  };
  tracer_->finish(std::move(s));
  r.dlq.reset();
}

void record_tracing::passed(int64_t offset, bool published) {
  if (live_.empty()) {
    return;
  }
  if (auto it = live_.find(offset); it != live_.end()) {
    it->second.published = published;
  }
}

void record_tracing::completed(int64_t offset) {
  if (live_.empty()) {
    return;
  }
  auto it = live_.find(offset);
  if (it == live_.end()) {
    return;
  }
  auto& s = it->second.consume;
  s.end_unix_nano = trace::now_unix_nano();
  const bool published = it->second.published;
  if (!it->second.dlq_error_type.empty()) {
    s.status = trace::status_code::error;
    s.status_message = "rejected: sent to the DLQ";
  }
  if (published) {
    fanout_.insert_or_assign(offset, stage{tracer_->child_of(s.context),
                                           s.context.span, s.end_unix_nano});
  }
  tracer_->finish(std::move(s));
  live_.erase(it);
}

void record_tracing::fanned_out(int64_t offset) {
  if (fanout_.empty()) {
    return;
  }
  auto it = fanout_.find(offset);
  if (it == fanout_.end()) {
    return;
  }
  trace::span_data s;
  s.context = it->second.ctx;
  s.parent = it->second.parent;
  s.name = "fan-out";
  s.kind = trace::span_kind::internal;
  s.start_unix_nano = it->second.start_ns;
  s.end_unix_nano = trace::now_unix_nano();
  tracer_->finish(std::move(s));
  fanout_.erase(it);
}

const trace::span_context* record_tracing::context_of(int64_t offset) const {
  if (live_.empty()) {
    return nullptr;
  }
  auto it = live_.find(offset);
  return it != live_.end() ? &it->second.consume.context : nullptr;
}

} // namespace ds::actors

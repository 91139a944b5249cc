// What `dlq inspect` and `dlq replay` make of each record of the DLQ topic,
// apart from the Kafka I/O (dlq_reader.cpp): reading the envelope from the
// record value, filtering, describing the embedded payload, the replay
// classes and headers. Nothing here needs a broker, so the fuzzer
// (tests/runtime/dlq_store/dlq_envelope_fuzz.cpp) links only this file.
#include <utility>

#include "dlq/envelope.hpp"
#include "proto/codec.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"

namespace ds::dlq_store {

namespace {

// A DLQ envelope is one flat object (its deepest values are one level
// down). nlohmann's parser is iterative, but dump() and comparisons
// recurse: a record value of some 400 000 nested arrays (800 KB, within
// Kafka's default message size) overflowed the stack of `dlq inspect
// --json`. Anything nested deeper than this is no envelope.
constexpr int max_envelope_depth = 16;

std::optional<std::string> str_field(const nlohmann::json& env,
                                     const char* name) {
  auto it = env.find(name);
  if (it == env.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

} // namespace

bool matches(const dlq_filter& f, const nlohmann::json& env) {
  if (f.error_type && str_field(env, "error_type") != f.error_type) {
    return false;
  }
  if (f.tenant_id && str_field(env, "tenant_id") != f.tenant_id) {
    return false;
  }
  if (f.thread_id && str_field(env, "thread_id") != f.thread_id) {
    return false;
  }
  if (f.since || f.until) {
    auto ts = str_field(env, "timestamp");
    if (!ts) {
      return false;
    }
    auto t = dlq::parse_rfc3339(*ts);
    if (!t || (f.since && *t < *f.since) || (f.until && *t >= *f.until)) {
      return false;
    }
  }
  return true;
}

nlohmann::json describe_payload(std::string_view payload) {
  proto::message msg;
  auto info = proto::decode(payload, {}, msg);
  if (!info) {
    return {{"decodes", false}, {"error", diag::describe(info.error())}};
  }
  nlohmann::json out{
    {"decodes", true},
    {"framing", std::string{proto::to_string(info->how)}},
    {"type", dashstream::v1::MessageType_Name(proto::message_type_of(msg))},
  };
  if (const auto* h = proto::top_header(msg)) {
    out["thread_id"] = h->thread_id();
    out["tenant_id"] = h->tenant_id();
    out["sequence"] = std::to_string(h->sequence());
  }
  if (msg.message_case() == proto::message::kEventBatch) {
    out["events"] = msg.event_batch().events_size();
  }
  return out;
}

void add_record(dlq_listing& out, std::set<std::string>& seen,
                const dlq_filter& f, const kafka::consumed_record& r) {
  ++out.scanned;
  bool too_deep = false;
  auto env = nlohmann::json::parse(
    r.value,
    [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      // Not kept, so the discarded document stays shallow too.
      too_deep = too_deep || depth > max_envelope_depth;
      return !too_deep;
    },
    false);
  if (too_deep || env.is_discarded() || !env.is_object() ||
      !env.contains("envelope_version")) {
    ++out.malformed;
    return;
  }
  if (auto id = str_field(env, "record_id"); id && !seen.insert(*id).second) {
    ++out.duplicates;
  }
  if (!matches(f, env)) {
    return;
  }
  if (f.limit != 0 && out.entries.size() >= f.limit) {
    return; // keep scanning: duplicates count the whole topic
  }
  dlq_entry e;
  e.partition = r.partition;
  e.offset = r.offset;
  e.key = r.key;
  e.headers = r.headers;
  if (auto b64 = str_field(env, "original_payload_base64")) {
    if (auto bytes = dlq::base64_decode(*b64)) {
      e.payload = std::move(*bytes);
      e.decoded = describe_payload(*e.payload);
    }
  }
  e.envelope = std::move(env);
  out.entries.push_back(std::move(e));
}

replay_class classify(const dlq_entry& e) {
  if (!e.payload) {
    return replay_class::no_payload;
  }
  // Only `false` (or no such field) says the payload is whole: anything
  // else is not replayed. (value(key, false) threw nlohmann's type_error
  // out of `dlq replay` for a field of another type.)
  auto t = e.envelope.find("original_payload_truncated");
  if (t != e.envelope.end() && !(t->is_boolean() && !t->get<bool>())) {
    return replay_class::truncated;
  }
  return replay_class::replayable;
}

std::vector<kafka::record_header> replay_headers(const std::string& dlq_topic,
                                                 const dlq_entry& e) {
  std::vector<kafka::record_header> hs;
  for (const auto& h : e.headers) {
    if (h.name.starts_with("__connect.errors.") ||
        h.name.starts_with("dashstream.dlq.") ||
        h.name.starts_with("dashstream.replay.")) {
      continue;
    }
    hs.push_back(h);
  }
  hs.push_back({"dashstream.replay.dlq_topic", dlq_topic});
  hs.push_back(
    {"dashstream.replay.dlq_partition", std::to_string(e.partition)});
  hs.push_back({"dashstream.replay.dlq_offset", std::to_string(e.offset)});
  hs.push_back({"dashstream.replay.record_id",
                str_field(e.envelope, "record_id").value_or("")});
  hs.push_back({"dashstream.replay.error_type",
                str_field(e.envelope, "error_type").value_or("")});
  return hs;
}

} // namespace ds::dlq_store

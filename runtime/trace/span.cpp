#include "runtime/trace/span.hpp"

#include <cstdio>
#include <type_traits>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace ds::trace {

namespace {

// A streaming writer, not a DOM: the exporter encodes every exported span,
// and building nlohmann::json objects for them was most of its CPU.
using writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

void str(writer& w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

// OTLP/JSON writes 64-bit integers as decimal strings.
void u64_text(writer& w, uint64_t v) {
  char buf[24];
  auto n =
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  w.String(buf, static_cast<rapidjson::SizeType>(n));
}

void any_value(writer& w, const attribute_value& v) {
  w.StartObject();
  std::visit(
    [&w](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, std::string>) {
        key(w, "stringValue");
        str(w, x);
      } else if constexpr (std::is_same_v<T, int64_t>) {
        key(w, "intValue");
        auto text = std::to_string(x);
        str(w, text);
      } else if constexpr (std::is_same_v<T, double>) {
        key(w, "doubleValue");
        w.Double(x);
      } else {
        key(w, "boolValue");
        w.Bool(x);
      }
    },
    v);
  w.EndObject();
}

void key_values(writer& w, const attributes& attrs) {
  w.StartArray();
  for (const auto& [k, v] : attrs) {
    w.StartObject();
    key(w, "key");
    str(w, k);
    key(w, "value");
    any_value(w, v);
    w.EndObject();
  }
  w.EndArray();
}

void span_json(writer& w, const span_data& s) {
  w.StartObject();
  key(w, "traceId");
  str(w, to_hex(s.context.trace));
  key(w, "spanId");
  str(w, to_hex(s.context.span));
  if (s.parent) {
    key(w, "parentSpanId");
    str(w, to_hex(*s.parent));
  }
  if (!s.context.tracestate.empty()) {
    key(w, "traceState");
    str(w, s.context.tracestate);
  }
  key(w, "name");
  str(w, s.name);
  key(w, "kind");
  w.Int(static_cast<int>(s.kind));
  key(w, "startTimeUnixNano");
  u64_text(w, s.start_unix_nano);
  key(w, "endTimeUnixNano");
  u64_text(w, s.end_unix_nano);
  key(w, "attributes");
  key_values(w, s.attrs);
  key(w, "flags");
  w.Int(static_cast<int>(s.context.flags));
  if (!s.events.empty()) {
    key(w, "events");
    w.StartArray();
    for (const auto& e : s.events) {
      w.StartObject();
      key(w, "name");
      str(w, e.name);
      key(w, "timeUnixNano");
      u64_text(w, e.time_unix_nano);
      key(w, "attributes");
      key_values(w, e.attrs);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!s.links.empty()) {
    key(w, "links");
    w.StartArray();
    for (const auto& l : s.links) {
      w.StartObject();
      key(w, "traceId");
      str(w, to_hex(l.trace));
      key(w, "spanId");
      str(w, to_hex(l.span));
      if (!l.tracestate.empty()) {
        key(w, "traceState");
        str(w, l.tracestate);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  if (s.status != status_code::unset) {
    key(w, "status");
    w.StartObject();
    key(w, "code");
    w.Int(static_cast<int>(s.status));
    key(w, "message");
    str(w, s.status_message);
    w.EndObject();
  }
  w.EndObject();
}

} // namespace

std::string encode_otlp_json(const resource_info& resource,
                             std::span<const span_data> spans) {
  rapidjson::StringBuffer buf;
  writer w{buf};
  w.StartObject();
  key(w, "resourceSpans");
  w.StartArray();
  w.StartObject();
  key(w, "resource");
  w.StartObject();
  key(w, "attributes");
  key_values(w, resource.attrs);
  w.EndObject();
  key(w, "scopeSpans");
  w.StartArray();
  w.StartObject();
  key(w, "scope");
  w.StartObject();
  key(w, "name");
  str(w, resource.scope_name);
  if (!resource.scope_version.empty()) {
    key(w, "version");
    str(w, resource.scope_version);
  }
  w.EndObject();
  key(w, "spans");
  w.StartArray();
  for (const auto& s : spans) {
    span_json(w, s);
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

} // namespace ds::trace

#include "runtime/trace/span.hpp"

#include <nlohmann/json.hpp>

namespace ds::trace {

namespace {

using json = nlohmann::json;

json any_value(const attribute_value& v) {
  struct visitor {
    json operator()(const std::string& s) const { return {{"stringValue", s}}; }
    // OTLP/JSON writes int64 as a decimal string.
    json operator()(int64_t i) const {
      return {{"intValue", std::to_string(i)}};
    }
    json operator()(double d) const { return {{"doubleValue", d}}; }
    json operator()(bool b) const { return {{"boolValue", b}}; }
  };
  return std::visit(visitor{}, v);
}

json key_values(const attributes& attrs) {
  auto out = json::array();
  for (const auto& [k, v] : attrs) {
    out.push_back({{"key", k}, {"value", any_value(v)}});
  }
  return out;
}

json span_json(const span_data& s) {
  json j{{"traceId", to_hex(s.context.trace)},
         {"spanId", to_hex(s.context.span)},
         {"name", s.name},
         {"kind", static_cast<int>(s.kind)},
         {"startTimeUnixNano", std::to_string(s.start_unix_nano)},
         {"endTimeUnixNano", std::to_string(s.end_unix_nano)},
         {"attributes", key_values(s.attrs)},
         {"flags", static_cast<int>(s.context.flags)}};
  if (s.parent) {
    j["parentSpanId"] = to_hex(*s.parent);
  }
  if (!s.context.tracestate.empty()) {
    j["traceState"] = s.context.tracestate;
  }
  if (!s.events.empty()) {
    auto events = json::array();
    for (const auto& e : s.events) {
      events.push_back({{"name", e.name},
                        {"timeUnixNano", std::to_string(e.time_unix_nano)},
                        {"attributes", key_values(e.attrs)}});
    }
    j["events"] = std::move(events);
  }
  if (!s.links.empty()) {
    auto links = json::array();
    for (const auto& l : s.links) {
      json link{{"traceId", to_hex(l.trace)}, {"spanId", to_hex(l.span)}};
      if (!l.tracestate.empty()) {
        link["traceState"] = l.tracestate;
      }
      links.push_back(std::move(link));
    }
    j["links"] = std::move(links);
  }
  if (s.status != status_code::unset) {
    j["status"] = {{"code", static_cast<int>(s.status)},
                   {"message", s.status_message}};
  }
  return j;
}

} // namespace

std::string encode_otlp_json(const resource_info& resource,
                             std::span<const span_data> spans) {
  auto list = json::array();
  for (const auto& s : spans) {
    list.push_back(span_json(s));
  }
  json scope{{"name", resource.scope_name}};
  if (!resource.scope_version.empty()) {
    scope["version"] = resource.scope_version;
  }
  json body{
    {"resourceSpans",
     json::array(
       {{{"resource", {{"attributes", key_values(resource.attrs)}}},
         {"scopeSpans", json::array({{{"scope", std::move(scope)},
                                      {"spans", std::move(list)}}})}}})}};
  return body.dump();
}

} // namespace ds::trace

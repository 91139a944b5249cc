#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/trace/context.hpp"

namespace ds::trace {

/// An attribute's value: the OTLP AnyValue kinds the daemon uses.
using attribute_value = std::variant<std::string, int64_t, double, bool>;
using attributes = std::vector<std::pair<std::string, attribute_value>>;

/// OTLP Span.SpanKind.
enum class span_kind : uint8_t {
  unspecified = 0,
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5,
};

/// OTLP Status.StatusCode.
enum class status_code : uint8_t { unset = 0, ok = 1, error = 2 };

struct span_event {
  std::string name;
  uint64_t time_unix_nano = 0;
  attributes attrs;
};

/// One finished span, as an exporter sends it.
struct span_data {
  span_context context; // trace id, this span's id, flags, tracestate
  std::optional<span_id> parent;
  std::string name;
  span_kind kind = span_kind::internal;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  attributes attrs;
  std::vector<span_event> events;
  std::vector<span_context> links;
  status_code status = status_code::unset;
  std::string status_message;
};

/// Who sends the spans: the OTLP resource (service.name and the
/// OTEL_RESOURCE_ATTRIBUTES) and the instrumentation scope.
struct resource_info {
  attributes attrs;
  std::string scope_name = "dashstream";
  std::string scope_version;
};

/// An OTLP/JSON ExportTraceServiceRequest (the body of POST /v1/traces with
/// Content-Type application/json) holding `spans`. Ids are lower-case hex,
/// 64-bit integers and times are decimal strings, enums are numbers: the
/// OTLP/JSON mapping of the protobuf messages.
std::string encode_otlp_json(const resource_info& resource,
                             std::span<const span_data> spans);

} // namespace ds::trace

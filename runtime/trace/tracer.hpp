#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "runtime/trace/context.hpp"
#include "runtime/trace/span.hpp"

namespace ds::trace {

/// OTEL_TRACES_SAMPLER's values: whether a record's spans are recorded.
/// parentbased_* follow the producer's sampled flag when the record has a
/// traceparent and use the named root sampler when it has none.
enum class sampler_kind : uint8_t {
  always_off,
  always_on,
  traceidratio,
  parentbased_always_off,
  parentbased_always_on,
  parentbased_traceidratio,
};

struct sampler {
  sampler_kind kind = sampler_kind::parentbased_always_on;
  /// traceidratio's probability, 0..1 (OTEL_TRACES_SAMPLER_ARG).
  double ratio = 1.0;

  /// The decision for a span of trace `id` whose parent is `parent` (null:
  /// a root). The ratio is applied to the trace id's last 8 bytes, so every
  /// daemon that sees the same trace decides the same way.
  bool sample(const span_context* parent, const trace_id& id) const noexcept;
};

/// Parses OTEL_TRACES_SAMPLER / _ARG. The arg matters only for the ratio
/// samplers ("" = 1.0). errc::bad_sampler for an unknown name or an arg
/// that is not a number in [0, 1].
caf::expected<sampler> parse_sampler(std::string_view name,
                                     std::string_view arg);

/// The sampler names parse_sampler() accepts.
inline constexpr std::string_view sampler_names =
  "always_on, always_off, traceidratio, parentbased_always_on, "
  "parentbased_always_off, parentbased_traceidratio";

/// OTEL_RESOURCE_ATTRIBUTES: "key=value,key=value", values
/// percent-decoded, spaces around keys and values trimmed. errc::
/// bad_resource_attributes names the first malformed entry.
caf::expected<attributes> parse_resource_attributes(std::string_view text);

/// Where finished spans go: the OTLP exporter, or a test's list.
class span_sink {
public:
  virtual ~span_sink() = default;
  /// Must not block: called on the pipeline's threads.
  virtual void submit(span_data s) = 0;
};

/// Starts and ends the pipeline's spans. One per daemon, shared by every
/// partition reader (thread-safe, no locks of its own). No tracer (a null
/// pointer) is tracing off: the readers then do not even look for a
/// traceparent.
class tracer {
public:
  tracer(sampler s, std::shared_ptr<span_sink> sink);

  /// The context of a record's first span: a child of `parent` (the
  /// record's traceparent, or null), or a new trace's root. nullopt when
  /// the sampler says no.
  std::optional<span_context> start(const span_context* parent) const;

  /// The same into `out` (its tracestate untouched): false when not
  /// sampled. What the record path calls, allocating nothing.
  bool start(const span_context* parent, span_context& out) const;

  /// A new span id in `ctx`'s trace: a child span's context.
  span_context child_of(const span_context& ctx) const;

  void finish(span_data s) const { sink_->submit(std::move(s)); }

  const sampler& sampling() const noexcept { return sampler_; }

private:
  sampler sampler_;
  std::shared_ptr<span_sink> sink_;
};

/// Nanoseconds since the Unix epoch (the span timestamps' clock).
uint64_t now_unix_nano() noexcept;

} // namespace ds::trace

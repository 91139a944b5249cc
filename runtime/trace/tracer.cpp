#include "runtime/trace/tracer.hpp"

#include <charconv>
#include <chrono>
#include <random>

#include "runtime/http/target.hpp"
#include "runtime/trace/errc.hpp"

namespace ds::trace {

namespace {

// Ids need to be unique, not secret: a per-thread generator seeded once
// from the OS keeps id generation lock-free on every reader thread.
std::mt19937_64& id_engine() {
  thread_local std::mt19937_64 engine{[] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }()};
  return engine;
}

template<std::size_t N>
void fill_random(std::array<uint8_t, N>& out) {
  auto& engine = id_engine();
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      auto x = engine();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) {
        out[i + j] = static_cast<uint8_t>(x >> (8 * j));
      }
    }
  } while (out == std::array<uint8_t, N>{}); // all-zero ids are invalid
}

bool ratio_sample(double ratio, const trace_id& id) noexcept {
  if (ratio >= 1.0) {
    return true;
  }
  if (ratio <= 0.0) {
    return false;
  }
  uint64_t x = 0;
  for (std::size_t i = 8; i < 16; ++i) {
    x = (x << 8) | id[i];
  }
  // 2^64 * ratio, computed without overflowing a double's conversion.
  auto bound = static_cast<uint64_t>(ratio * 18446744073709551616.0);
  return x < bound;
}

std::string_view trim(std::string_view x) noexcept {
  while (!x.empty() && (x.front() == ' ' || x.front() == '\t')) {
    x.remove_prefix(1);
  }
  while (!x.empty() && (x.back() == ' ' || x.back() == '\t')) {
    x.remove_suffix(1);
  }
  return x;
}

} // namespace

bool sampler::sample(const span_context* parent,
                     const trace_id& id) const noexcept {
  switch (kind) {
    case sampler_kind::always_off:
      return false;
    case sampler_kind::always_on:
      return true;
    case sampler_kind::traceidratio:
      return ratio_sample(ratio, id);
    case sampler_kind::parentbased_always_off:
      return parent != nullptr && parent->sampled();
    case sampler_kind::parentbased_always_on:
      return parent == nullptr || parent->sampled();
    case sampler_kind::parentbased_traceidratio:
      return parent != nullptr ? parent->sampled() : ratio_sample(ratio, id);
  }
  return false;
}

caf::expected<sampler> parse_sampler(std::string_view name,
                                     std::string_view arg) {
  static constexpr std::pair<std::string_view, sampler_kind> names[] = {
    {"always_off", sampler_kind::always_off},
    {"always_on", sampler_kind::always_on},
    {"traceidratio", sampler_kind::traceidratio},
    {"parentbased_always_off", sampler_kind::parentbased_always_off},
    {"parentbased_always_on", sampler_kind::parentbased_always_on},
    {"parentbased_traceidratio", sampler_kind::parentbased_traceidratio},
  };
  sampler out;
  bool found = false;
  for (const auto& [n, k] : names) {
    if (n == name) {
      out.kind = k;
      found = true;
    }
  }
  if (!found) {
    return make_error(errc::bad_sampler,
                      "unknown sampler \"" + std::string{name} +
                        "\"; expected one of " + std::string{sampler_names});
  }
  arg = trim(arg);
  if (arg.empty()) {
    return out;
  }
  double ratio = 0;
  const char* last = arg.data() + arg.size();
  auto [end, ec] = std::from_chars(arg.data(), last, ratio);
  if (ec != std::errc{} || end != last || !(ratio >= 0.0 && ratio <= 1.0)) {
    return make_error(errc::bad_sampler,
                      "sampler argument must be a number from 0 to 1, got \"" +
                        std::string{arg} + "\"");
  }
  out.ratio = ratio;
  return out;
}

caf::expected<attributes> parse_resource_attributes(std::string_view text) {
  attributes out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{}
                                           : text.substr(comma + 1);
    if (trim(entry).empty()) {
      continue;
    }
    auto eq = entry.find('=');
    auto key = trim(entry.substr(0, eq));
    if (eq == std::string_view::npos || key.empty()) {
      return make_error(errc::bad_resource_attributes,
                        "expected key=value, got \"" + std::string{entry} +
                          "\"");
    }
    auto value = http::percent_decode(trim(entry.substr(eq + 1)), false);
    if (!value) {
      return make_error(errc::bad_resource_attributes,
                        "bad percent-encoding in \"" + std::string{entry} +
                          "\"");
    }
    out.emplace_back(std::string{key}, std::move(*value));
  }
  return out;
}

tracer::tracer(sampler s, std::shared_ptr<span_sink> sink)
  : sampler_(s), sink_(std::move(sink)) {}

std::optional<span_context> tracer::start(const span_context* parent) const {
  span_context ctx;
  if (!start(parent, ctx)) {
    return std::nullopt;
  }
  if (parent != nullptr) {
    ctx.tracestate = parent->tracestate;
  }
  return ctx;
}

bool tracer::start(const span_context* parent, span_context& out) const {
  if (parent != nullptr) {
    out.trace = parent->trace;
  } else {
    fill_random(out.trace);
  }
  if (!sampler_.sample(parent, out.trace)) {
    return false;
  }
  out.flags = 0x01;
  fill_random(out.span);
  return true;
}

span_context tracer::child_of(const span_context& ctx) const {
  span_context out;
  out.trace = ctx.trace;
  out.flags = ctx.flags;
  out.tracestate = ctx.tracestate;
  fill_random(out.span);
  return out;
}

uint64_t now_unix_nano() noexcept {
  using namespace std::chrono;
  return static_cast<uint64_t>(
    duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

} // namespace ds::trace

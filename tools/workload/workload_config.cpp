#include "tools/workload/workload_config.hpp"

#include <charconv>
#include <cmath>

#include "tools/workload/errc.hpp"

namespace ds::workload {

namespace {

// The decoder's default cap (contract §1.3); a bomb must declare more.
constexpr uint64_t default_decode_cap = uint64_t{10} << 20;
// Building a bomb streams this many zeros through zstd; beyond 4 GiB that
// takes seconds and the frame itself nears the 1 MiB message cap.
constexpr uint64_t max_bomb_size = uint64_t{4} << 30;
// Contract §3 shortens longer thread ids; keep ours intact.
constexpr std::size_t max_thread_prefix = 200;

bool is_lower_hex(std::string_view s) noexcept {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool all_zero(std::string_view s) noexcept {
  return s.find_first_not_of('0') == std::string_view::npos;
}

} // namespace

std::string_view to_string(payload_kind x) noexcept {
  switch (x) {
    case payload_kind::text:
      return "text";
    case payload_kind::random:
      return "random";
  }
  return "unknown";
}

mix workload_config::default_mix() {
  // The spec is a compile-time constant that the tests parse too.
  return *parse_mix(default_mix_spec);
}

uint64_t workload_config::corrupt_total() const noexcept {
  uint64_t sum = 0;
  for (auto n : corrupt) {
    sum += n;
  }
  return sum;
}

caf::expected<uint64_t> parse_amount(std::string_view text, uint64_t base) {
  auto bad = [&](std::string why) {
    return make_error(errc::invalid_amount,
                      "'" + std::string{text} + "' " + std::move(why));
  };
  if (text.empty()) {
    return bad("is empty; expected a count (5) or a percentage (2%)");
  }
  if (text.back() != '%') {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return bad("is not a count (5) or a percentage (2%)");
    }
    return n;
  }
  auto digits = text.substr(0, text.size() - 1);
  // from_chars for double accepts "inf", "nan" and exponents; a percentage
  // is plain digits with at most one dot.
  if (digits.empty() ||
      digits.find_first_not_of("0123456789.") != std::string_view::npos ||
      digits.find('.') != digits.rfind('.') || digits == ".") {
    return bad("is not a percentage such as 2% or 0.5%");
  }
  double pct = 0;
  auto [end, ec] =
    std::from_chars(digits.data(), digits.data() + digits.size(), pct);
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return bad("is not a percentage such as 2% or 0.5%");
  }
  if (pct > 100.0) {
    return bad("is more than 100%");
  }
  return static_cast<uint64_t>(
    std::floor(static_cast<double>(base) * pct / 100.0));
}

bool is_valid_traceparent(std::string_view v) noexcept {
  // 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') {
    return false;
  }
  auto version = v.substr(0, 2);
  auto trace_id = v.substr(3, 32);
  auto span_id = v.substr(36, 16);
  auto flags = v.substr(53, 2);
  return version == "00" && is_lower_hex(trace_id) && is_lower_hex(span_id) &&
         is_lower_hex(flags) && !all_zero(trace_id) && !all_zero(span_id);
}

caf::error validate(const workload_config& cfg) {
  auto bad = [](std::string why) {
    return make_error(errc::invalid_config, std::move(why));
  };
  if (cfg.threads < 1) {
    return bad("threads must be at least 1");
  }
  if (cfg.tenants < 1 || cfg.tenants > cfg.threads) {
    return bad("tenants must be between 1 and the number of threads (" +
               std::to_string(cfg.threads) + "), got " +
               std::to_string(cfg.tenants));
  }
  if (cfg.size < 1 || cfg.size > cfg.encode.max_message_bytes) {
    return bad("size must be between 1 and the producer's message cap of " +
               std::to_string(cfg.encode.max_message_bytes) + " bytes, got " +
               std::to_string(cfg.size));
  }
  if (cfg.kinds.total() == 0) {
    return bad("the mix has no positive weight");
  }
  if (cfg.batch_threads < 1 || cfg.batch_threads > cfg.threads) {
    return bad("batch threads must be between 1 and the number of threads (" +
               std::to_string(cfg.threads) + "), got " +
               std::to_string(cfg.batch_threads));
  }
  if (cfg.max_gap_size < 1) {
    return bad("the largest gap size must be at least 1");
  }
  if (cfg.bomb_size <= default_decode_cap || cfg.bomb_size > max_bomb_size) {
    return bad("bomb size must be above the decoder's default cap of " +
               std::to_string(default_decode_cap) + " bytes and at most " +
               std::to_string(max_bomb_size) + ", got " +
               std::to_string(cfg.bomb_size));
  }
  if (cfg.thread_prefix.size() > max_thread_prefix) {
    return bad("thread prefix must be at most " +
               std::to_string(max_thread_prefix) + " characters");
  }
  if (cfg.trace == trace_mode::fixed &&
      !is_valid_traceparent(cfg.traceparent)) {
    return bad("traceparent '" + cfg.traceparent +
               "' is not 00-<32 hex>-<16 hex>-<2 hex> (lowercase, "
               "non-zero ids)");
  }
  return {};
}

} // namespace ds::workload

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "proto/codec.hpp"
#include "tools/workload/corruption.hpp"
#include "tools/workload/mix.hpp"

namespace ds::workload {

/// What fills a message up to its target size.
enum class payload_kind : uint8_t {
  /// English-like words: compresses well, so messages above 512 bytes take
  /// the zstd path.
  text,
  /// Random bytes in a bytes field: compression does not pay off and the
  /// codec falls back to raw framing (the error kind, which has only string
  /// fields, gets random hex instead).
  random,
};

std::string_view to_string(payload_kind x) noexcept;

/// Whether and how records get a W3C `traceparent` header.
enum class trace_mode : uint8_t {
  off,
  /// A fresh random trace id and span id for every record.
  random_per_record,
  /// The same literal traceparent on every record.
  fixed,
};

/// Everything that shapes a synthetic workload. Plain data; the CLI fills it
/// from flags, tests fill it directly. Given the same settings and seed, the
/// plan (keys, kinds, sizes, fault placement) is identical.
struct workload_config {
  /// Valid records (an EventBatch counts as one). Duplicates and corrupt
  /// records come on top.
  uint64_t count = 1000;
  /// Distinct thread ids; each thread belongs to one tenant.
  uint32_t threads = 10;
  /// Tenants "tenant-0".."tenant-<n-1>"; threads are spread over them.
  uint32_t tenants = 1;
  /// Target size of each message's protobuf encoding (before framing).
  std::size_t size = 256;
  payload_kind payload = payload_kind::text;
  mix kinds = default_mix();
  /// Threads per EventBatch group (each batch has one event per thread).
  uint32_t batch_threads = 3;
  uint64_t seed = 0;
  /// Thread ids are <prefix><index>; vary it to reuse a topic.
  std::string thread_prefix = "thread-";
  trace_mode trace = trace_mode::off;
  /// The literal header value when trace == fixed.
  std::string traceparent;
  /// Faults on the sequence of a thread (contract §3), each with an exact,
  /// independent effect.
  uint64_t gaps = 0;
  uint64_t duplicates = 0;
  uint64_t reorders = 0;
  /// The largest number of sequences one gap burns (sizes are 1..max_gap).
  uint32_t max_gap_size = 5;
  /// Extra corrupt records, by kind.
  corruption_counts corrupt{};
  /// Declared decompressed size of a zstd bomb.
  uint64_t bomb_size = uint64_t{64} << 20;
  /// Framing, as the producer does it (zstd level 3 above 512 B, 1 MiB cap).
  proto::encode_options encode;

  static mix default_mix();
  uint64_t corrupt_total() const noexcept;
};

/// Parses an --inject amount: "N" (a count) or "N%" / "N.M%" (a percentage
/// of `base`, rounded down, at most 100%). Fails with errc::invalid_amount.
caf::expected<uint64_t> parse_amount(std::string_view text, uint64_t base);

/// Checks that a W3C traceparent is well formed: version 00, a non-zero
/// 32-hex trace id, a non-zero 16-hex span id and 2 hex flags, lowercase.
bool is_valid_traceparent(std::string_view value) noexcept;

/// Checks the settings that do not depend on placement (fault placement
/// can still fail later, in make_schedule). Fails with errc::invalid_config
/// and a message naming the flag-level setting.
caf::error validate(const workload_config& cfg);

} // namespace ds::workload

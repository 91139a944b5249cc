#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "proto/errc.hpp"

namespace ds::workload {

/// The kinds of corrupt record value the workload can inject. Each one
/// decodes to exactly one proto::errc in both decode modes at the default
/// 10 MiB cap (see expected_errc), so a consumer's DLQ can be checked
/// record by record.
enum class corruption_kind : uint8_t {
  /// A first byte in 0x02..0x07: neither framing byte, not zstd magic, and
  /// (field number 0) never the start of a legacy protobuf either.
  bad_framing_byte,
  /// 0x00 followed by the first half of a valid encoding.
  truncated_protobuf,
  /// 0x01 followed by a real zstd frame of --bomb-size zeros that declares
  /// that size: refused before anything is allocated.
  zstd_bomb,
  /// 0x01 followed by a zstd frame written with the streaming API with the
  /// content-size flag off.
  zstd_no_content_size,
  /// 0x00 followed by an Event without a header.
  missing_header,
  /// A record value of zero bytes.
  empty_value,
};

inline constexpr std::size_t corruption_kind_count = 6;

/// How many records of each kind to inject, indexed by corruption_kind.
using corruption_counts = std::array<uint64_t, corruption_kind_count>;

std::string_view to_string(corruption_kind x) noexcept;

std::optional<corruption_kind> parse_corruption_kind(std::string_view name);

/// The decode error each kind must produce (strict and compatible mode,
/// 10 MiB cap, bomb larger than the cap).
proto::errc expected_errc(corruption_kind x) noexcept;

/// Parses "all:N" (N records of every kind) or "kind:N,kind:N,...". N is a
/// count or a percentage of `base` ("2%"), as for every --inject flag. An
/// empty spec means none. Fails with errc::invalid_corruption_spec.
caf::expected<corruption_counts> parse_corruption_spec(std::string_view spec,
                                                       uint64_t base);

/// What a corrupt record is made from: the thread it is keyed by, so that
/// whatever a reader salvages (a DLQ's best-effort thread id) points at the
/// right partition.
struct corruption_source {
  std::string_view thread_id;
  std::string_view tenant;
};

/// Builds corrupt record values. The zstd bomb is built once (streaming, so
/// even a multi-GiB declared size costs no memory) and reused. Not
/// thread-safe; one per generator.
class corruption_factory {
public:
  /// `bomb_size`: the decompressed size the bomb frame declares.
  explicit corruption_factory(uint64_t bomb_size) : bomb_size_(bomb_size) {}

  /// The framed bytes of one corrupt record of kind `x`. `rng` supplies the
  /// message ids and the choice of bad framing byte, so a seed reproduces
  /// the bytes.
  caf::expected<std::string>
  make(corruption_kind x, const corruption_source& src, std::mt19937_64& rng);

  uint64_t bomb_size() const noexcept { return bomb_size_; }

private:
  uint64_t bomb_size_;
  std::string bomb_; // cached 0x01 + frame, built on first use
};

} // namespace ds::workload

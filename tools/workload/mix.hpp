#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace ds::workload {

/// The kinds of valid record the workload sends; one per DashStreamMessage
/// variant (`tool` is ToolExecution, `trace` is ExecutionTrace, `batch` is
/// an EventBatch).
enum class message_kind : uint8_t {
  event,
  batch,
  state_diff,
  token_chunk,
  metrics,
  tool,
  checkpoint,
  error,
  trace,
};

inline constexpr std::size_t message_kind_count = 9;

/// The name used in --mix specs, summaries and the ground truth.
std::string_view to_string(message_kind x) noexcept;

std::optional<message_kind> parse_message_kind(std::string_view name);

/// Relative weights of the kinds: a record is of kind k with probability
/// weights[k] / total().
struct mix {
  std::array<uint32_t, message_kind_count> weights{};

  uint64_t total() const noexcept;
  uint32_t weight(message_kind k) const noexcept {
    return weights[static_cast<std::size_t>(k)];
  }
  bool has(message_kind k) const noexcept { return weight(k) > 0; }

  /// Maps a uniform draw in [0, total()) to a kind.
  message_kind pick(uint64_t draw) const noexcept;

  /// The canonical spec ("event:50,batch:10,..."), zero weights omitted.
  std::string to_spec() const;
};

/// The default traffic shape: mostly lifecycle events, some of everything.
inline constexpr std::string_view default_mix_spec =
  "event:50,batch:10,state_diff:10,token_chunk:15,metrics:10,tool:5";

/// Parses "kind:weight,kind:weight,...". Kinds may appear once; weights are
/// decimal integers up to 1000000; at least one must be positive. Fails with
/// errc::invalid_mix naming the offending item.
caf::expected<mix> parse_mix(std::string_view spec);

} // namespace ds::workload

#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "proto/headers.hpp"
#include "tools/workload/mix.hpp"
#include "tools/workload/workload_config.hpp"

namespace ds::workload {

/// Builds the bodies of synthetic DashStream messages: plausible content for
/// an LLM-agent workflow (node names, tools, models, token text, quality
/// metrics), then padding up to a target encoded size. Headers are left to
/// a stamper. Deterministic from its seed; not thread-safe.
class message_factory {
public:
  message_factory(payload_kind payload, uint64_t seed);

  /// A message of kind `k` for `thread_id`, without headers (an
  /// ExecutionTrace also names the thread in its body). For a batch, one
  /// event per entry of `batch_threads`, each event's header naming its
  /// thread, so the stamper numbers them on their own counters. About half
  /// of the metrics messages have scope "quality" with the fields and tags
  /// the quality exporter reads (contract §6).
  proto::message make(message_kind k, std::string_view thread_id,
                      std::span<const std::string> batch_threads = {});

  /// Grows the message's padding field until its encoding is `target`
  /// bytes (within a few bytes for random token logprobs). Never shrinks:
  /// a message already at or above the target is left alone. Call after
  /// stamping, so headers count.
  void pad(proto::message& msg, std::size_t target);

  /// `n` characters of English-like text (words, spaces, full stops).
  std::string words(std::size_t n);

private:
  std::string random_bytes(std::size_t n);
  std::string random_hex(std::size_t n);
  std::string_view pick(std::span<const std::string_view> xs);
  uint64_t below(uint64_t n);

  payload_kind payload_;
  std::mt19937_64 rng_;
  uint64_t serial_ = 0; // call ids, request ids, chunk indexes
};

} // namespace ds::workload

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/dlq_writer.hpp"
#include "actors/vocabulary.hpp"
#include "dlq/envelope.hpp"
#include "proto/codec.hpp"

namespace ds::actors {

/// A partition reader's rejected records on their way to the DLQ writer: a
/// rejected record counts as done only once the DLQ holds it durably, so
/// the outbox keeps each one (as its DLQ record, built here so readers
/// write envelopes in parallel) until the writer confirms it. A plain
/// class: the actor shell decides when to send.
class dlq_outbox {
public:
  struct origin {
    std::string topic;
    std::string group_id;
    int32_t partition = 0;
    proto::decode_options decode;
    dlq::record_format format;
  };

  explicit dlq_outbox(origin o) : origin_{std::move(o)} {}

  /// Holds the DLQ record of `rec`, straight from the polled batch: thread
  /// and tenant come from the record's own header when it decodes (a
  /// halted or poison record); an undecodable one has none to offer.
  void add(const source_record& rec, std::string_view error_type,
           std::string_view error, std::string_view stage,
           std::string_view exception_class);

  /// Records added since the last take(), with their offsets: one request
  /// to the writer, whose reply completes them all.
  bool has_unsent() const { return !unsent_.empty(); }
  std::pair<std::vector<int64_t>, dlq_batch> take();

  /// The writer has them durably: the offsets it still held, now done.
  std::vector<int64_t> delivered(const std::vector<int64_t>& offsets);

  /// The writer died with them: they go out with the next take().
  void failed(const std::vector<int64_t>& offsets);

  /// dlq_record::held_bytes() of every record held: part of the memory
  /// budget until the DLQ has them.
  uint64_t held_bytes() const { return bytes_; }

private:
  std::string_view timestamp();

  origin origin_;
  std::unordered_map<int64_t, std::shared_ptr<const dlq::dlq_record>> held_;
  std::vector<int64_t> unsent_;
  uint64_t bytes_ = 0;
  /// The envelopes' timestamp, formatted once per millisecond.
  std::string stamp_;
  int64_t stamp_ms_ = -1;
};

} // namespace ds::actors

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>

namespace ds::dlq {

class dlq_record;

/// What a store of DLQ records (runtime/dlq_store's sink) reports and is
/// handed. The actors see only these types; the store itself is injected.
struct sink_status {
  uint64_t spooled_records = 0;
  /// Bytes the spool's segment files occupy (what the budget limits).
  uint64_t spooled_bytes = 0;
  double oldest_age_seconds = 0;
  /// False while a submit would fail: the caller should pause ingestion.
  bool accepting = true;
  /// "" | "spool budget reached" | "disk full" | "fsync failed".
  std::string reason;
};

/// Told when submitted records are durable. One listener serves a whole
/// batch: a std::function per record cost an allocation and two atomic
/// reference counts per rejected record on the all-bad path
/// (docs/bench/history.md, session 12).
class listener {
public:
  virtual ~listener() = default;
  /// Runs exactly once per submission, on a store thread, with the
  /// submission's `index`: no error once the record is durable, an error
  /// when the store cannot take it (the caller keeps it and retries).
  virtual void done(std::size_t index, caf::error err) = 0;
};

/// One record handed to a store, shared with it until it is durable.
struct submission {
  std::shared_ptr<const dlq_record> record;
  std::shared_ptr<listener> to;
  std::size_t index = 0;
};

} // namespace ds::dlq

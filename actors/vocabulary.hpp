#pragma once

// Every atom and message type the actors exchange, in one place, so a
// protocol change is one reviewable diff. Handles live beside each actor.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace ds::actors {

// -- atoms --------------------------------------------------------------------

using validate_atom = caf::atom_constant<caf::atom("validate")>;
using reset_atom = caf::atom_constant<caf::atom("reset")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;

// -- validation ---------------------------------------------------------------

/// What the validators concluded about a record that passed: the first
/// item that was not in order decides (a gap, with how many sequences are
/// missing, a duplicate or a reorder). Such records are counted and still
/// delivered, never rejected.
enum class verdict_kind : uint8_t { ok, gap, duplicate, reorder };

constexpr std::string_view to_string(verdict_kind x) noexcept {
  switch (x) {
    case verdict_kind::ok:
      return "ok";
    case verdict_kind::gap:
      return "gap";
    case verdict_kind::duplicate:
      return "duplicate";
    case verdict_kind::reorder:
      return "reorder";
  }
  return "unknown";
}

struct record_verdict {
  verdict_kind kind = verdict_kind::ok;
  uint64_t missing = 0; // for a gap

  /// Keeps the first non-ok verdict of a record's items.
  void merge(const record_verdict& other) noexcept {
    if (kind == verdict_kind::ok) {
      *this = other;
    }
  }
  bool operator==(const record_verdict&) const = default;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_verdict& x) {
  return f(caf::meta::type_name("record_verdict"), x.kind, x.missing);
}

/// A validator's answer for one record that was not simply in order: how
/// many of its items it rejected (quarantined threads under policy halt),
/// and the verdict on the others.
struct validation_reply {
  int32_t partition = 0;
  int64_t offset = 0;
  uint32_t rejected = 0;
  record_verdict verdict;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validation_reply& x) {
  return f(caf::meta::type_name("validation_reply"), x.partition, x.offset,
           x.rejected, x.verdict);
}

/// Every sequence item of one polled batch that hashes to one validator,
/// in record order, with all thread ids packed into one buffer. The reader
/// builds it once, shares it with the validator (no copy) and keeps it
/// until answered, so a restarted validator gets exactly the same again.
/// Per record this costs no allocation: the per-record requests it replaced
/// spent about a quarter of the reader's time in malloc
/// (docs/bench/history.md, session 2).
struct validation_batch {
  struct item {
    int64_t offset = 0;
    uint64_t sequence = 0;
    uint32_t id_pos = 0;
    uint32_t id_len = 0;
  };

  int32_t partition = 0;
  std::string ids;
  std::vector<item> items;

  void add(int64_t offset, std::string_view thread_id, uint64_t sequence) {
    items.push_back({offset, sequence, static_cast<uint32_t>(ids.size()),
                     static_cast<uint32_t>(thread_id.size())});
    ids.append(thread_id);
  }

  std::string_view thread_id(const item& x) const noexcept {
    return std::string_view{ids}.substr(x.id_pos, x.id_len);
  }

  /// Calls f(offset, first, last) for each record's run of items.
  template<class F>
  void for_each_record(F&& f) const {
    for (std::size_t i = 0; i < items.size();) {
      auto j = i + 1;
      while (j < items.size() && items[j].offset == items[i].offset) {
        ++j;
      }
      f(items[i].offset, i, j);
      i = j;
    }
  }
};

/// The message wrapper: a shared, immutable batch.
struct validation_batch_ref {
  std::shared_ptr<const validation_batch> batch;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validation_batch_ref&) {
  // Local-only message, like record_batch: it shares its buffer.
  return f(caf::meta::type_name("validation_batch_ref"));
}

/// A validator's counters, for tests and the admin API.
struct validator_stats {
  uint64_t checked = 0;
  uint64_t gaps = 0;
  uint64_t missing = 0;
  uint64_t duplicates = 0;
  uint64_t reorders = 0;
  uint64_t quarantined = 0;
  uint64_t tracked_threads = 0;
  uint64_t evictions = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, validator_stats& x) {
  return f(caf::meta::type_name("validator_stats"), x.checked, x.gaps,
           x.missing, x.duplicates, x.reorders, x.quarantined,
           x.tracked_threads, x.evictions);
}

} // namespace ds::actors

namespace ds::actors {

// -- supervision --------------------------------------------------------------

using add_atom = caf::atom_constant<caf::atom("add")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;

/// A supervisor's counters, for tests and /health.
struct supervisor_stats {
  uint64_t children = 0;
  uint64_t restarts = 0;
  /// Children currently down and waiting for their backoff to expire.
  uint64_t restarting = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_stats& x) {
  return f(caf::meta::type_name("supervisor_stats"), x.children, x.restarts,
           x.restarting);
}

} // namespace ds::actors

#include <memory>
#include <string_view>
#include <utility>

namespace ds::actors {

// -- records ------------------------------------------------------------------

/// A record as the actors see it: coordinates plus views into bytes that
/// `owner` keeps alive (a librdkafka message in the daemon, a string in
/// tests). Copies share the buffer, so fan-out never copies payloads.
struct source_record {
  using header_list = std::vector<std::pair<std::string, std::string>>;

  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string_view key;
  std::string_view value;
  std::shared_ptr<const void> owner;
  /// The Kafka headers kept in `owner` (null: the source has none). Only
  /// the DLQ path reads them, so the hot path carries one pointer.
  const header_list* (*read_headers)(const void* owner) = nullptr;

  /// Valid while `owner` is.
  std::span<const std::pair<std::string, std::string>> headers() const {
    const header_list* h =
      read_headers != nullptr && owner ? read_headers(owner.get()) : nullptr;
    return h != nullptr
             ? std::span{*h}
             : std::span<const std::pair<std::string, std::string>>{};
  }
};

/// A consecutive run of one partition's records, consumer -> reader.
struct record_batch {
  int32_t partition = 0;
  std::shared_ptr<const std::vector<source_record>> records;
  /// Sent again to a restarted reader: its predecessor may have delivered
  /// some of them already.
  bool redelivered = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_batch& x) {
  // Local-only message: it carries views into shared buffers.
  return f(caf::meta::type_name("record_batch"), x.partition, x.redelivered);
}

using drain_atom = caf::atom_constant<caf::atom("drain")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using refresh_atom = caf::atom_constant<caf::atom("refresh")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// Reader -> consumer: how far the partition is done. `commit_offset` is
/// the next offset to read (-1 while nothing completed); `completed` counts
/// records finished since the reader started (for the in-flight budget).
struct partition_progress {
  int32_t partition = 0;
  int64_t commit_offset = -1;
  uint64_t completed = 0;
  /// dlq::held_bytes() of the rejected records the reader holds until the
  /// DLQ has them durably: they count against the memory budget too.
  uint64_t dlq_bytes = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_progress& x) {
  return f(caf::meta::type_name("partition_progress"), x.partition,
           x.commit_offset, x.completed, x.dlq_bytes);
}

/// A partition reader's counters, for tests and the admin API.
struct partition_stats {
  int32_t partition = 0;
  uint64_t received = 0;
  uint64_t completed = 0;
  uint64_t decode_errors = 0;
  uint64_t rejected = 0;
  uint64_t in_flight = 0;
  int64_t commit_offset = -1;
  uint64_t redelivered = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_stats& x) {
  return f(caf::meta::type_name("partition_stats"), x.partition, x.received,
           x.completed, x.decode_errors, x.rejected, x.in_flight,
           x.commit_offset, x.redelivered);
}

} // namespace ds::actors

namespace ds::actors {

// -- consumer -----------------------------------------------------------------

using stop_atom = caf::atom_constant<caf::atom("stop")>;

// -- dead-letter queue --------------------------------------------------------

using dlq_atom = caf::atom_constant<caf::atom("dlq")>;
using dlq_done_atom = caf::atom_constant<caf::atom("dlq_done")>;
using dlq_retry_atom = caf::atom_constant<caf::atom("dlq_retry")>;

// -- health -------------------------------------------------------------------

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using reader_up_atom = caf::atom_constant<caf::atom("reader_up")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscrib")>;
using dlq_refusal_atom = caf::atom_constant<caf::atom("dlq_refuse")>;

/// Consumer -> health: what its polls saw. Sent for every poll with
/// infrastructure errors, and otherwise when something changed or at most
/// every `consumer_config::health_report_interval`.
struct poll_outcome {
  /// Infrastructure errors (never bad records) since the last report.
  uint32_t infra_errors = 0;
  /// The last poll reached the broker, even an idle one (§8.12).
  bool broker_reachable = false;
  uint32_t assigned_partitions = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, poll_outcome& x) {
  return f(caf::meta::type_name("poll_outcome"), x.infra_errors,
           x.broker_reachable, x.assigned_partitions);
}

/// Reader -> health, with its flush: records finished since the last one.
struct record_delta {
  /// Decoded (passed or rejected by validation).
  uint64_t processed = 0;
  uint64_t decode_errors = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_delta& x) {
  return f(caf::meta::type_name("record_delta"), x.processed, x.decode_errors);
}

/// The consumer's view, for tests, /health and the admin API.
struct consumer_stats {
  uint64_t polled = 0;
  uint64_t dispatched = 0;
  uint64_t in_flight = 0;
  uint64_t pauses = 0;
  uint64_t resumes = 0;
  uint64_t infra_errors = 0;
  uint64_t redelivered = 0;
  std::vector<int32_t> assigned;
  std::vector<int32_t> paused;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_stats& x) {
  return f(caf::meta::type_name("consumer_stats"), x.polled, x.dispatched,
           x.in_flight, x.pauses, x.resumes, x.infra_errors, x.redelivered,
           x.assigned, x.paused);
}

} // namespace ds::actors

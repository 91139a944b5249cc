#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/kafka/client_config.hpp"
#include "runtime/kafka/producer_client.hpp"
#include "runtime/kafka/topic_reader.hpp"

namespace ds::dlq_store {

/// Which DLQ records `dlq inspect` and `dlq replay` select. Times compare
/// with the envelope's `timestamp` (when the record was dead-lettered).
struct dlq_filter {
  std::optional<std::string> error_type;
  std::optional<std::string> tenant_id;
  std::optional<std::string> thread_id;
  std::optional<std::chrono::system_clock::time_point> since; // inclusive
  std::optional<std::chrono::system_clock::time_point> until; // exclusive
  /// 0 = no limit.
  size_t limit = 0;
};

struct dlq_entry {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::vector<kafka::record_header> headers;
  nlohmann::json envelope;
  /// The original payload when the envelope embeds it (possibly truncated).
  std::optional<std::string> payload;
  /// A summary of the decoded payload (variant, thread, tenant, sequence),
  /// or why it does not decode; empty without a payload.
  nlohmann::json decoded;
};

struct dlq_listing {
  std::vector<dlq_entry> entries; // matching records, per-partition order
  uint64_t scanned = 0;           // records read from the topic
  uint64_t malformed = 0;         // values that are not a DLQ envelope
  /// Records whose record_id appeared before (a spool drained after a crash
  /// writes the same record again; the contract allows it).
  uint64_t duplicates = 0;
};

bool matches(const dlq_filter& f, const nlohmann::json& envelope);

/// Decodes a DashStream v1 value (compatible mode) into a short summary.
nlohmann::json describe_payload(std::string_view payload);

/// What read_dlq() does with each record of the topic: counts it in `out`
/// (scanned, malformed, duplicates: a record_id already in `seen`), and
/// keeps it as an entry (its payload decoded) when its value is a DLQ
/// envelope that `f` selects, up to f.limit entries. The values are read
/// as untrusted bytes (dlq_envelope_fuzz).
void add_record(dlq_listing& out, std::set<std::string>& seen,
                const dlq_filter& f, const kafka::consumed_record& r);

/// Reads a snapshot of the DLQ topic and keeps what `f` selects.
caf::expected<dlq_listing> read_dlq(const kafka::client_config& cfg,
                                    const std::string& topic,
                                    const dlq_filter& f,
                                    std::chrono::milliseconds timeout);

struct replay_report {
  uint64_t selected = 0;
  uint64_t replayable = 0; // with a complete embedded payload
  uint64_t no_payload = 0; // dead-lettered without include_payload
  uint64_t truncated = 0;  // payload cut at payload_truncate_bytes
  uint64_t sent = 0;       // acknowledged by Kafka (--execute only)
  uint64_t failed = 0;
};

/// How replay() counts an entry: only a payload known to be whole is
/// replayed.
enum class replay_class : uint8_t { no_payload, truncated, replayable };
replay_class classify(const dlq_entry& e);

/// The record a replay produces: the original key, value and headers (the
/// __connect.* and dashstream.dlq.* ones dropped) plus provenance headers
/// dashstream.replay.{dlq_topic,dlq_partition,dlq_offset,record_id,error_type}.
std::vector<kafka::record_header> replay_headers(const std::string& dlq_topic,
                                                 const dlq_entry& e);

/// Re-produces every replayable entry to `to_topic` when `execute`; counts
/// only (dry run) otherwise.
caf::expected<replay_report> replay(const kafka::client_config& cfg,
                                    const std::string& dlq_topic,
                                    const dlq_listing& listing,
                                    const std::string& to_topic, bool execute,
                                    std::chrono::milliseconds timeout);

} // namespace ds::dlq_store

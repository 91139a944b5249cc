#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/spool/spool_config.hpp"

struct io_uring;

namespace ds::spool {

/// What open() found on disk and what it had to repair.
struct recovery_report {
  uint64_t segments = 0;    // segment files found (empty ones included)
  uint64_t records = 0;     // good records kept
  uint64_t truncations = 0; // segments cut back to their last good record
  uint64_t truncated_bytes = 0;
  uint64_t empty_segments = 0; // zero-length segment files (removed by open)
  /// One line per truncation: file, offset and why.
  std::vector<std::string> notes;
};

struct spool_status {
  /// Records appended and not yet acknowledged.
  uint64_t records = 0;
  /// Bytes the segment files occupy; the budget limits this.
  uint64_t bytes = 0;
  uint64_t segments = 0;
  /// Append time (Unix ms) of the oldest unacknowledged record.
  std::optional<int64_t> oldest_append_ms;
  uint64_t budget_bytes = 0;
};

struct spooled_record {
  uint64_t seq = 0;
  int64_t append_ms = 0;
  std::string data;
};

/// Bytes one record of `payload_size` bytes takes on disk.
constexpr uint64_t framed_size(uint64_t payload_size) noexcept {
  return payload_size + 16;
}

/// With direct I/O, every append starts and ends on this boundary.
constexpr uint64_t direct_io_block = 4096;

/// Bytes an append of records taking `framed` bytes occupies on disk: with
/// direct I/O, rounded up by a padding frame (at least its 16-byte header)
/// to the next block boundary.
constexpr uint64_t append_size(uint64_t framed, bool direct) noexcept {
  if (!direct || framed % direct_io_block == 0) {
    return framed;
  }
  auto padded =
    (framed + direct_io_block - 1) / direct_io_block * direct_io_block;
  return padded - framed < 16 ? padded + direct_io_block : padded;
}

/// Most padding one append adds (what a caller filling the budget keeps
/// free).
constexpr uint64_t max_append_padding = direct_io_block + 15;

/// Largest record: the high bit of a frame's length marks padding.
constexpr uint64_t max_record_bytes = 0x7fff'ffffu;

/// An append-only spool of opaque records on local disk.
///
/// Layout: a directory of segment files named after the sequence number of
/// their first record ("00000000000000000042.seg"); each record is framed as
/// [u32 length][u32 crc32c][i64 append time ms][payload], little-endian, the
/// CRC (Castagnoli, ISA-L) covering length, time and payload. A frame whose
/// length has the high bit set is padding (direct I/O): checked like any
/// other, never a record.
///
/// Writes go through io_uring: one append() (a group of records) is one
/// WRITE linked (IOSQE_IO_LINK) to one FDATASYNC, so the sync starts only
/// after the write completed and a failed or short write cancels it. An
/// fsync failure seals the segment (no further appends go there; the batch
/// is not durable and is never re-synced) and the error surfaces. With
/// direct I/O (spool_config::direct_io, where the filesystem supports it) the
/// write goes from a block-aligned buffer straight to the device.
///
/// Threading: append() from one writer thread at a time; read(), ack() and
/// status() from any thread.
class spool {
public:
  /// Locks `cfg.dir` (creating it), recovers every segment: a torn tail or
  /// bad CRC truncates the segment to its last good record, counted in
  /// recovery(); an empty segment file is removed.
  static caf::expected<std::unique_ptr<spool>> open(const spool_config& cfg);

  /// Scans `dir` without locking or modifying anything: what open() would
  /// keep (status) and repair (report).
  static caf::expected<std::pair<spool_status, recovery_report>>
  inspect(const std::string& dir);

  ~spool();
  spool(const spool&) = delete;
  spool& operator=(const spool&) = delete;

  /// Appends `records` durably (one write + one fsync for all of them: group
  /// commit) and returns the sequence number of the first. Errors: `full`
  /// when the framed bytes do not fit the budget, `disk_full`, `fsync_failed`
  /// or `io_error`; on any error none of the records is stored.
  caf::expected<uint64_t> append(std::span<const std::string_view> records);
  caf::expected<uint64_t> append(std::string_view record);

  /// Up to `max_records` records with seq >= `from`, oldest first, stopping
  /// before `max_bytes` of payload is exceeded (at least one is returned).
  caf::expected<std::vector<spooled_record>>
  read(uint64_t from, size_t max_records, uint64_t max_bytes) const;

  /// Acknowledges every record with seq < `up_to`; removes segment files
  /// whose records are all acknowledged.
  caf::error ack(uint64_t up_to);

  spool_status status() const;

  /// Bytes an append may still add before the budget is reached.
  uint64_t free_bytes() const;

  /// Sequence number of the oldest unacknowledged record (== next_seq() when
  /// none is pending).
  uint64_t first_unacked() const;
  uint64_t next_seq() const;

  const recovery_report& recovery() const noexcept { return recovery_; }

  /// Appends use O_DIRECT: asked for, and the filesystem supports it.
  bool direct_io() const noexcept { return direct_; }

  /// What the kernel did for appends: entries whose opcode (read back from
  /// the submission entry) was a WRITE, or an FDATASYNC linked to it, and
  /// whose completion succeeded. The evidence that each append is one write
  /// and one fdatasync.
  struct io_counts {
    uint64_t submits = 0; // io_uring_submit calls
    uint64_t writes = 0;  // WRITE completions that wrote everything
    uint64_t fsyncs = 0;  // FDATASYNC completions that succeeded
  };
  io_counts io() const noexcept {
    return {submits_.load(), writes_.load(), fsyncs_.load()};
  }

  /// For tests (no input reaches it): the next append's linked fsync fails
  /// (it targets a closed descriptor), exercising the real CQE error path.
  void inject_fsync_failure() { inject_fsync_failure_ = true; }

  struct segment;

private:
  explicit spool(spool_config cfg);

  caf::error recover();
  caf::error open_new_segment();
  void seal_active_locked();
  void drop_empty_last_locked();
  uint64_t bytes_locked() const;

  spool_config cfg_;
  int lock_fd_ = -1;
  int dir_fd_ = -1;
  std::unique_ptr<io_uring> ring_;
  recovery_report recovery_;

  std::mutex write_mu_; // serialises append() and retiring the active segment
  std::string frames_;  // append()'s buffer, reused (under write_mu_)
  bool direct_ = false;
  mutable std::mutex mu_; // protects everything below
  std::vector<std::unique_ptr<segment>> segments_;
  int active_fd_ = -1; // last segment, open for appends; -1 = none
  uint64_t next_seq_ = 0;
  uint64_t acked_ = 0;
  bool inject_fsync_failure_ = false;
  std::atomic<uint64_t> submits_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> fsyncs_{0};
};

} // namespace ds::spool

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ds::actors {

/// What to do when a thread's sequence jumps ahead (contract §3).
enum class gap_policy : uint8_t {
  /// Log, then continue from the new sequence (the default).
  warn_and_continue,
  /// Continue from the new sequence without logging.
  continue_silently,
  /// Quarantine the thread until an operator resets it.
  halt,
};

/// The verdict on one (thread, sequence) pair.
enum class sequence_outcome : uint8_t {
  /// seq == expected.
  in_order,
  /// First sequence seen for the thread (or seen again after eviction or
  /// reset): becomes the baseline, never a gap (contract §8.7).
  baseline,
  /// seq > expected: `missing` sequences never arrived (yet).
  gap,
  /// seq == expected - 1.
  duplicate,
  /// seq < expected - 1.
  reorder,
  /// Empty thread id or sequence 0: unsequenced, not checked.
  unsequenced,
  /// The thread is halted (policy halt); the record is an error.
  quarantined,
};

struct sequence_verdict {
  sequence_outcome outcome = sequence_outcome::in_order;
  /// For a gap: how many sequences are missing.
  uint64_t missing = 0;
  /// The sequence that was expected (0 for a baseline or unsequenced).
  uint64_t expected = 0;
  /// True when this verdict quarantined the thread (policy halt).
  bool halted_now = false;
};

struct sequence_checker_config {
  gap_policy policy = gap_policy::warn_and_continue;
  /// Tracked threads; the least recently seen is forgotten beyond this.
  std::size_t max_threads = 100'000;
  /// Longer thread ids are tracked as a prefix plus a hash.
  std::size_t max_thread_id_bytes = 256;
};

/// Contract §3 sequence rules over a bounded, LRU-evicting thread table.
/// Plain data, owned by one validator actor; not thread-safe.
class sequence_checker {
public:
  explicit sequence_checker(sequence_checker_config cfg = {});

  sequence_verdict check(std::string_view thread_id, uint64_t sequence);

  /// Lifts a halt (and forgets the thread's state, so its next message is a
  /// baseline). Returns whether the thread was known.
  bool reset(std::string_view thread_id);

  bool is_halted(std::string_view thread_id) const;

  std::size_t tracked() const noexcept { return table_.size(); }
  uint64_t evictions() const noexcept { return evictions_; }

  /// The key a thread id is tracked under: itself, or a prefix and a hash
  /// when longer than max_thread_id_bytes.
  std::string tracking_key(std::string_view thread_id) const;

private:
  struct entry {
    uint64_t expected = 0;
    bool halted = false;
    std::list<std::string>::iterator lru;
  };

  entry* find(std::string_view key);
  entry& insert(std::string key);

  sequence_checker_config cfg_;
  // Transparent: a lookup by string_view allocates no key (the common
  // case: a known thread, short enough to be its own key).
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, entry, key_hash, std::equal_to<>> table_;
  std::list<std::string> lru_; // front = most recently seen
  uint64_t evictions_ = 0;
};

} // namespace ds::actors

#pragma once

#include <atomic>
#include <string_view>

namespace ds::diag {

/// Where a test may inject a fault into a running pipeline. The program
/// users run installs no handlers, so no record, frame or message can
/// trigger one and each point costs a relaxed atomic load; only test
/// binaries install them (tests/support/fault_hooks.cpp). A handler may
/// throw (a crash) or block (a wedged scheduler thread).
struct fault_handlers {
  /// A partition reader is about to process this record.
  void (*reader_record)(std::string_view key, std::string_view value) = nullptr;
  /// A validator is about to check an item of this thread.
  void (*validator_item)(std::string_view thread_id) = nullptr;
  /// A client session received this text message.
  void (*session_text)(std::string_view text) = nullptr;
};

namespace detail {
inline std::atomic<const fault_handlers*> installed_faults{nullptr};
} // namespace detail

/// Installs `h` (nullptr: none); `h` must outlive every use.
inline void install_fault_handlers(const fault_handlers* h) noexcept {
  detail::installed_faults.store(h, std::memory_order_release);
}

/// The installed handlers, or nullptr (always, in the shipped program).
inline const fault_handlers* installed_fault_handlers() noexcept {
  return detail::installed_faults.load(std::memory_order_acquire);
}

} // namespace ds::diag

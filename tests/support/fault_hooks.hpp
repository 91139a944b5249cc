#pragma once

#include <atomic>

// The faults test binaries inject (diag/fault_points.hpp). Linking
// ds_test_faults installs them before main; the `dashstream` program users
// run links nothing of this, so these keys and messages mean nothing to it.
namespace ds::test::faults {

/// A partition reader throws on a record keyed by this, while
/// reader_crash_budget lasts (-1: no limit).
inline constexpr const char* reader_crash_key = "ds-test-hook-crash-reader";
extern std::atomic<int> reader_crash_budget;

/// A record keyed by this blocks its reader's scheduler thread for the
/// milliseconds in its value (at most 60 000): the actor system wedged. It
/// says so on stderr first ("fault hook: wedging ...").
inline constexpr const char* reader_wedge_key = "ds-test-hook-wedge";

/// A validator throws on an item of this thread while
/// validator_crash_budget lasts (-1: no limit; 1 lets the restarted
/// validator accept the redelivered record).
inline constexpr const char* validator_crash_thread = "ds-test-hook-crash";
extern std::atomic<int> validator_crash_budget;

/// A client session that receives exactly this text message throws.
inline constexpr const char* session_crash_message =
  "ds-test-hook-crash-session";

} // namespace ds::test::faults

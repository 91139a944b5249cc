#include "tests/support/fault_hooks.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "diag/fault_points.hpp"

namespace ds::test::faults {

std::atomic<int> reader_crash_budget{-1};
std::atomic<int> validator_crash_budget{-1};

namespace {

// Spends one unit of `budget` (-1: unlimited); false once it is spent.
bool take(std::atomic<int>& budget) {
  int b = budget.load();
  while (b != 0) {
    if (b < 0 || budget.compare_exchange_weak(b, b - 1)) {
      return true;
    }
  }
  return false;
}

void on_reader_record(std::string_view key, std::string_view value) {
  if (key == reader_crash_key && take(reader_crash_budget)) {
    throw std::runtime_error("test hook: partition reader crash requested");
  }
  if (key == reader_wedge_key) {
    int ms = 0;
    std::from_chars(value.data(), value.data() + value.size(), ms);
    ms = std::clamp(ms, 0, 60'000);
    // Tests wait for this line to know the wedge has begun.
    std::fprintf(stderr, "fault hook: wedging a scheduler thread for %d ms\n",
                 ms);
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::milliseconds{ms});
  }
}

void on_validator_item(std::string_view thread_id) {
  if (thread_id == validator_crash_thread && take(validator_crash_budget)) {
    throw std::runtime_error("test hook: validator crash requested");
  }
}

void on_session_text(std::string_view text) {
  if (text == session_crash_message) {
    throw std::runtime_error("test hook: session crash requested");
  }
}

const diag::fault_handlers handlers{on_reader_record, on_validator_item,
                                    on_session_text};

// Before main: linked as an object library, so this always runs.
const bool installed = [] {
  diag::install_fault_handlers(&handlers);
  return true;
}();

} // namespace

} // namespace ds::test::faults

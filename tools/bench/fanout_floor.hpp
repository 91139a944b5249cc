#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace ds::bench {

/// `n` plain TCP connections over loopback: the writer's ends and the
/// reader's ends (both non-blocking).
struct loopback_pairs {
  std::vector<int> writer_fds;
  std::vector<int> reader_fds;
};

caf::expected<loopback_pairs> make_loopback_pairs(std::size_t n);

struct fanout_floor_result {
  /// Records written to every connection.
  uint64_t records = 0;
  /// writev() calls, and the writer thread's CPU seconds.
  uint64_t writes = 0;
  double cpu_seconds = 0;
  double seconds = 0;
};

/// The fan-out's raw floor: one thread writes the same frame bytes the
/// daemon sent (`bytes`, records starting at `starts`) to every one of
/// `fds`, as the daemon's sessions do — one iovec per record, a gather
/// write of up to IOV_MAX of them per connection per turn, round-robin,
/// epoll for the sockets that are full — and nothing else. Closes nothing.
caf::expected<fanout_floor_result>
write_fanout_floor(const std::vector<int>& fds, const std::string& bytes,
                   const std::vector<std::size_t>& starts);

} // namespace ds::bench

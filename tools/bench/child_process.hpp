#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <sys/types.h>

namespace ds::bench {

/// CPU time and memory of a process, read from /proc/<pid> while it runs.
struct proc_sample {
  /// user + system CPU seconds of every thread (stat utime + stime).
  double cpu_seconds = 0;
  /// Peak resident set size so far (status VmHWM), bytes.
  uint64_t peak_rss_bytes = 0;
  /// Current resident set size (status VmRSS), bytes.
  uint64_t rss_bytes = 0;
};

/// Reads /proc/<pid>/stat and /proc/<pid>/status; nothing when the process
/// is gone.
std::optional<proc_sample> sample_process(pid_t pid);

/// What wait4() reported when a child ended.
struct child_exit {
  /// Exit code, or 128 + signal.
  int status = 0;
  /// CPU of the whole life of the child, all threads.
  double cpu_seconds = 0;
  // No peak RSS: wait4()'s ru_maxrss includes the RSS the child inherited
  // from the bench at fork (Linux keeps the pre-exec peak), and the bench
  // holds the embedded broker's data. Read VmHWM with sample_process().
};

/// A child process of the bench (the daemon or the raw floor): stdout and
/// stderr go to a file. Killed with SIGKILL if still running when
/// destroyed. Owned by one thread.
class child_process {
public:
  static caf::expected<std::unique_ptr<child_process>>
  spawn(const std::vector<std::string>& argv, const std::string& log_path);

  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();
  void signal(int sig) const;
  /// Waits up to `timeout` for the exit; nothing on timeout.
  std::optional<child_exit> wait(std::chrono::milliseconds timeout);
  const std::optional<child_exit>& exited() const noexcept { return exit_; }
  std::string log() const;
  const std::string& log_path() const noexcept { return log_; }

private:
  child_process(pid_t pid, std::string log) : pid_(pid), log_(std::move(log)) {}
  bool reap(bool block);

  pid_t pid_;
  std::string log_;
  std::optional<child_exit> exit_;
};

/// The path of the running executable (/proc/self/exe).
std::string self_exe();

} // namespace ds::bench

#pragma once

#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ds::test {

/// A child process (the real `dashstream` binary) for tests that need
/// signals: SIGTERM hand-over, kill -9. stdout and stderr go to a file.
class child_process {
public:
  child_process(const std::vector<std::string>& argv, std::string log_path)
    : log_(std::move(log_path)) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&fa);
  }

  ~child_process() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(10));
    }
  }

  bool started() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }

  /// A field of /proc/<pid>/status in bytes (e.g. "VmHWM", the peak
  /// resident set); -1 when the process or the field is gone.
  long long proc_status_bytes(const std::string& field) const {
    std::ifstream in{"/proc/" + std::to_string(pid_) + "/status"};
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field + ":", 0) == 0) {
        return std::stoll(line.substr(field.size() + 1)) * 1024; // kB
      }
    }
    return -1;
  }
  bool running() const noexcept { return pid_ > 0 && !status_; }
  void signal(int sig) const { ::kill(pid_, sig); }

  /// The exit status (exit code, or 128 + signal), or nothing on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!status_) {
      int st = 0;
      auto r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
  }

  std::string log() const {
    std::ifstream in{log_};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  /// The HTTP port the daemon logged in its "started" line (0 if not yet).
  uint16_t http_port() const {
    // A plain search: GCC 12 warns (maybe-uninitialized) inside std::regex
    // under the sanitizers, and warnings are errors here.
    auto text = log();
    const std::string key = "\"http\":\"";
    auto pos = text.find(key);
    if (pos == std::string::npos) {
      return 0;
    }
    auto end = text.find('"', pos + key.size());
    auto colon = text.rfind(':', end);
    if (end == std::string::npos || colon == std::string::npos ||
        colon < pos + key.size()) {
      return 0;
    }
    return static_cast<uint16_t>(
      std::stoi(text.substr(colon + 1, end - colon - 1)));
  }

private:
  std::string log_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

} // namespace ds::test

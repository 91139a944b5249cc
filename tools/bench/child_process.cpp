#include "tools/bench/child_process.hpp"

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/bench/errc.hpp"

extern char** environ;

namespace ds::bench {

std::optional<proc_sample> sample_process(pid_t pid) {
  proc_sample s;
  auto dir = "/proc/" + std::to_string(pid);
  std::ifstream stat{dir + "/stat"};
  std::string text;
  if (!std::getline(stat, text)) {
    return std::nullopt;
  }
  // The command name may contain spaces: fields start after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields{text.substr(close + 2)};
  std::string field;
  // Field 3 (state) is the first after ')'; utime and stime are 14 and 15.
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) {
      ticks += std::stod(field);
    }
  }
  s.cpu_seconds = ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream status{dir + "/status"};
  for (std::string line; std::getline(status, line);) {
    auto kb = [&line] {
      return std::stoull(line.substr(line.find(':') + 1)) * 1024;
    };
    if (line.rfind("VmHWM:", 0) == 0) {
      s.peak_rss_bytes = kb();
    } else if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_bytes = kb();
    }
  }
  return s;
}

std::string self_exe() {
  char buf[4096];
  auto n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) {
    return {};
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

caf::expected<std::unique_ptr<child_process>>
child_process::spawn(const std::vector<std::string>& argv,
                     const std::string& log_path) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  // The child must not inherit our blocked stop signals: the daemon and
  // the raw floor block them themselves where they need to.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  auto rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return make_error(errc::child_failed,
                      "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return std::unique_ptr<child_process>{new child_process(pid, log_path)};
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool child_process::reap(bool block) {
  if (exit_) {
    return true;
  }
  int st = 0;
  rusage ru{};
  auto r = ::wait4(pid_, &st, block ? 0 : WNOHANG, &ru);
  if (r != pid_) {
    return false;
  }
  child_exit e;
  e.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) / 1e6;
  };
  e.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  exit_ = e;
  return true;
}

bool child_process::running() {
  return !reap(false);
}

void child_process::signal(int sig) const {
  if (!exit_) {
    ::kill(pid_, sig);
  }
}

std::optional<child_exit>
child_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_;
}

std::string child_process::log() const {
  std::ifstream in{log_};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace ds::bench

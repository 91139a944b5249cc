#include "tools/bench/fanout_floor.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tools/bench/errc.hpp"
#include "tools/bench/frame_reader.hpp"

namespace ds::bench {

namespace {

caf::error sys_error(const std::string& what) {
  return make_error(errc::setup_failed, what + ": " + std::strerror(errno));
}

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

} // namespace

caf::expected<loopback_pairs> make_loopback_pairs(std::size_t n) {
  loopback_pairs out;
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) {
    return sys_error("socket()");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(lfd, 4096) != 0 ||
      ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    auto err = sys_error("loopback listener");
    ::close(lfd);
    return err;
  }
  auto fail = [&](const std::string& what) {
    auto err = sys_error(what);
    ::close(lfd);
    close_all(out.writer_fds);
    close_all(out.reader_fds);
    return err;
  };
  for (std::size_t i = 0; i < n; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) {
      return fail("socket()");
    }
    if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(c);
      return fail("connect()");
    }
    int s = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) {
      ::close(c);
      return fail("accept()");
    }
    out.reader_fds.push_back(c);
    out.writer_fds.push_back(s);
    if (!set_nonblocking(c) || !set_nonblocking(s)) {
      return fail("O_NONBLOCK");
    }
  }
  ::close(lfd);
  return out;
}

caf::expected<fanout_floor_result>
write_fanout_floor(const std::vector<int>& fds, const std::string& bytes,
                   const std::vector<std::size_t>& starts) {
  fanout_floor_result r;
  r.records = starts.size();
  if (fds.empty() || starts.empty()) {
    return r;
  }
  // One iovec per record: the daemon queues one shared buffer per record
  // (cursor + value frames, clients::record_frames) and gathers its queue.
  std::vector<iovec> records(starts.size());
  for (std::size_t i = 0; i < starts.size(); ++i) {
    auto end = i + 1 < starts.size() ? starts[i + 1] : bytes.size();
    records[i].iov_base = const_cast<char*>(bytes.data() + starts[i]);
    records[i].iov_len = end - starts[i];
  }
  struct cursor {
    std::size_t record = 0; // next record to write
    std::size_t skip = 0;   // bytes of it already written
    bool writable = true;
  };
  std::vector<cursor> cur(fds.size());
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    return sys_error("epoll_create1()");
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    ::epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev);
  }
  timespec cpu0{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
  auto t0 = std::chrono::steady_clock::now();
  std::size_t remaining = fds.size();
  std::vector<iovec> iov(IOV_MAX);
  epoll_event events[256];
  caf::error err;
  while (remaining > 0 && !err) {
    bool wrote = false;
    for (std::size_t i = 0; i < fds.size() && !err; ++i) {
      auto& c = cur[i];
      if (!c.writable || c.record == records.size()) {
        continue;
      }
      auto n = std::min<std::size_t>(IOV_MAX, records.size() - c.record);
      std::copy_n(records.begin() + static_cast<std::ptrdiff_t>(c.record), n,
                  iov.begin());
      iov[0].iov_base = static_cast<char*>(iov[0].iov_base) + c.skip;
      iov[0].iov_len -= c.skip;
      auto w = ::writev(fds[i], iov.data(), static_cast<int>(n));
      ++r.writes;
      if (w < 0) {
        if (errno == EAGAIN) {
          c.writable = false;
          continue;
        }
        err = sys_error("writev()");
        break;
      }
      wrote = true;
      auto left = static_cast<std::size_t>(w);
      while (left > 0) {
        auto rest = records[c.record].iov_len - c.skip;
        if (left >= rest) {
          left -= rest;
          ++c.record;
          c.skip = 0;
        } else {
          c.skip += left;
          left = 0;
        }
      }
      if (c.record == records.size()) {
        --remaining;
      }
    }
    if (!wrote && remaining > 0 && !err) {
      int k = ::epoll_wait(epfd, events, 256, 1000);
      for (int j = 0; j < k; ++j) {
        cur[events[j].data.u64].writable = true;
      }
    }
  }
  r.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
  timespec cpu1{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
  r.cpu_seconds = static_cast<double>(cpu1.tv_sec - cpu0.tv_sec) +
                  static_cast<double>(cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
  ::close(epfd);
  if (err) {
    return err;
  }
  return r;
}

} // namespace ds::bench

#include "tools/bench/frame_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/codec.hpp"
#include "proto/headers.hpp"
#include "tools/bench/errc.hpp"

namespace ds::bench {

// -- latency_histogram --------------------------------------------------------

void latency_histogram::add(int64_t us) {
  if (us < 0) {
    ++negative;
    us = 0;
  }
  auto b = static_cast<std::size_t>(us / bucket_us);
  ++counts[std::min(b, buckets - 1)];
  ++observed;
  max_us = std::max(max_us, us);
  sum_us += static_cast<double>(us);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < buckets; ++i) {
    counts[i] += other.counts[i];
  }
  observed += other.observed;
  negative += other.negative;
  max_us = std::max(max_us, other.max_us);
  sum_us += other.sum_us;
}

double latency_histogram::quantile_seconds(double q) const {
  if (observed == 0) {
    return 0;
  }
  auto rank = static_cast<uint64_t>(q * static_cast<double>(observed));
  rank = std::min(rank, observed - 1);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += counts[i];
    if (seen > rank) {
      if (i == buckets - 1) {
        return static_cast<double>(max_us) / 1e6;
      }
      return static_cast<double>((static_cast<int64_t>(i) + 1) * bucket_us) /
             1e6;
    }
  }
  return static_cast<double>(max_us) / 1e6;
}

// -- connecting ---------------------------------------------------------------

namespace {

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

int64_t thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

caf::expected<int> upgrade_one(uint16_t port, std::string& leftover) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return make_error(errc::setup_failed,
                      std::string{"socket(): "} + std::strerror(errno));
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto fail = [fd](const std::string& what) {
    ::close(fd);
    return make_error(errc::setup_failed, what);
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return fail("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " +
                std::strerror(errno));
  }
  // A fixed key: the bench checks the status, not Sec-WebSocket-Accept.
  const std::string req = "GET /ws HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    return fail("cannot send the upgrade request");
  }
  std::string resp;
  char buf[4096];
  std::size_t end = std::string::npos;
  while ((end = resp.find("\r\n\r\n")) == std::string::npos) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) {
      return fail("the daemon closed the connection during the upgrade"
                  " (after " +
                  std::to_string(resp.size()) + " bytes)");
    }
    resp.append(buf, static_cast<std::size_t>(n));
  }
  if (resp.rfind("HTTP/1.1 101", 0) != 0) {
    return fail("GET /ws answered " + resp.substr(0, resp.find('\r')));
  }
  leftover = resp.substr(end + 4);
  if (!set_nonblocking(fd)) {
    return fail("cannot make a client socket non-blocking");
  }
  return fd;
}

} // namespace

caf::expected<ws_clients> connect_websocket_clients(uint16_t port,
                                                    std::size_t n) {
  ws_clients out;
  out.fds.reserve(n);
  out.leftovers.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string leftover;
    auto fd = upgrade_one(port, leftover);
    if (!fd) {
      close_all(out.fds);
      return make_error(errc::setup_failed, "WebSocket client " +
                                              std::to_string(i + 1) + " of " +
                                              std::to_string(n) + ": " +
                                              diag::error_detail(fd.error()));
    }
    out.fds.push_back(*fd);
    out.leftovers.push_back(std::move(leftover));
  }
  return out;
}

void close_all(std::vector<int>& fds) {
  for (int fd : fds) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  fds.clear();
}

// -- frame_reader -------------------------------------------------------------

struct frame_reader::connection {
  int fd = -1;
  std::string initial;
  bool capture = false;
  std::atomic<uint64_t> records{0};
  std::atomic<bool> closed{false};
  // The frame being parsed.
  uint8_t hdr[14] = {};
  std::size_t hdr_have = 0;
  bool in_payload = false;
  uint64_t left = 0;
  uint8_t op = 0;
  bool keep = false;
  std::string body;
  // The last cursor frame: the record whose value comes next.
  int32_t partition = -1;
  int64_t offset = -1;
  /// Its header timestamp, when a reader already decoded the record.
  int64_t ts_us = -1;
};

struct frame_reader::worker {
  int epfd = -1;
  std::vector<connection*> conns;
  std::thread thread;
  latency_histogram hist;
  /// Header timestamps of records this thread decoded (-1: not yet; 0: no
  /// timestamp), per partition, indexed by offset from the first one seen:
  /// each record is decoded once per thread, not once per client. Offsets
  /// are dense, so a vector; a hash map's rehash stalled the reader for
  /// hundreds of milliseconds, which showed up as latency.
  struct partition_stamps {
    int64_t base = -1;
    std::vector<int64_t> ts;
  };
  std::vector<partition_stamps> stamps;

  int64_t* stamp(int32_t partition, int64_t offset) {
    if (partition < 0 || offset < 0) {
      return nullptr;
    }
    auto p = static_cast<std::size_t>(partition);
    if (p >= stamps.size()) {
      stamps.resize(p + 1);
    }
    auto& ps = stamps[p];
    if (ps.base < 0) {
      ps.base = offset;
    }
    if (offset < ps.base) {
      return nullptr; // older than the first live record: not measured
    }
    auto i = static_cast<std::size_t>(offset - ps.base);
    if (i >= ps.ts.size()) {
      ps.ts.resize(std::max({i + 1, ps.ts.size() * 2, std::size_t{1} << 16}),
                   -1);
    }
    return &ps.ts[i];
  }
  std::atomic<int64_t> cpu_ns{0};
  std::atomic<int64_t> progress_ns{0};
  std::vector<latency_slot> timeline;
};

namespace {

constexpr std::string_view cursor_prefix = R"({"type":"cursor")";
constexpr uint64_t max_kept_text = uint64_t{64} << 10;

// {"type":"cursor","partition":P,"offset":"O"} (clients/protocol.cpp).
void parse_cursor(const std::string& s, int32_t& partition, int64_t& offset) {
  partition = -1;
  offset = -1;
  auto p = s.find("\"partition\":");
  auto o = s.find("\"offset\":\"");
  if (p == std::string::npos || o == std::string::npos) {
    return;
  }
  partition =
    static_cast<int32_t>(std::strtol(s.c_str() + p + 12, nullptr, 10));
  offset = std::strtoll(s.c_str() + o + 10, nullptr, 10);
}

} // namespace

frame_reader::frame_reader(std::vector<int> fds,
                           std::vector<std::string> leftovers, options opts)
  : opts_(opts) {
  opts_.threads =
    std::max(1, std::min<int>(opts_.threads, static_cast<int>(fds.size())));
  for (std::size_t i = 0; i < fds.size(); ++i) {
    auto c = std::make_unique<connection>();
    c->fd = fds[i];
    if (i < leftovers.size()) {
      c->initial = std::move(leftovers[i]);
    }
    c->capture = opts_.capture_first && i == 0;
    conns_.push_back(std::move(c));
  }
  for (int t = 0; t < opts_.threads; ++t) {
    auto w = std::make_unique<worker>();
    w->epfd = ::epoll_create1(EPOLL_CLOEXEC);
    workers_.push_back(std::move(w));
  }
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    auto& w = *workers_[i % workers_.size()];
    auto* c = conns_[i].get();
    w.conns.push_back(c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = c;
    ::epoll_ctl(w.epfd, EPOLL_CTL_ADD, c->fd, &ev);
  }
  for (auto& w : workers_) {
    w->thread = std::thread([this, wp = w.get()] { run(*wp); });
  }
}

frame_reader::~frame_reader() {
  stop();
  for (auto& c : conns_) {
    ::close(c->fd);
  }
  for (auto& w : workers_) {
    ::close(w->epfd);
  }
}

void frame_reader::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  stopping_ = true;
  for (auto& w : workers_) {
    w->thread.join();
  }
}

uint64_t frame_reader::records() const noexcept {
  uint64_t n = 0;
  for (const auto& c : conns_) {
    n += c->records.load(std::memory_order_relaxed);
  }
  return n;
}

uint64_t frame_reader::min_records() const noexcept {
  uint64_t n = UINT64_MAX;
  for (const auto& c : conns_) {
    n = std::min(n, c->records.load(std::memory_order_acquire));
  }
  return conns_.empty() ? 0 : n;
}

std::size_t frame_reader::closed() const noexcept {
  std::size_t n = 0;
  for (const auto& c : conns_) {
    n += c->closed.load(std::memory_order_relaxed) ? 1 : 0;
  }
  return n;
}

int64_t frame_reader::last_progress_ns() const noexcept {
  int64_t t = 0;
  for (const auto& w : workers_) {
    t = std::max(t, w->progress_ns.load());
  }
  return t;
}

double frame_reader::cpu_seconds() const noexcept {
  int64_t ns = 0;
  for (const auto& w : workers_) {
    ns += w->cpu_ns.load();
  }
  return static_cast<double>(ns) / 1e9;
}

void frame_reader::measure_latency(bool on) noexcept {
  latency_since_us_ = wall_us();
  latency_on_ = on;
}

std::vector<frame_reader::latency_slot> frame_reader::latency_timeline() const {
  std::vector<latency_slot> out;
  for (const auto& w : workers_) {
    if (w->timeline.size() > out.size()) {
      out.resize(w->timeline.size());
    }
    for (std::size_t i = 0; i < w->timeline.size(); ++i) {
      out[i].records += w->timeline[i].records;
      out[i].late += w->timeline[i].late;
      out[i].max_us = std::max(out[i].max_us, w->timeline[i].max_us);
    }
  }
  return out;
}

latency_histogram frame_reader::latency() const {
  latency_histogram h;
  for (const auto& w : workers_) {
    h.merge(w->hist);
  }
  return h;
}

void frame_reader::run(worker& w) {
  // Called when a frame's header is complete: keep its payload or skip it.
  auto begin = [&](connection& c, uint64_t len) {
    c.body.clear();
    c.ts_us = -1;
    if (c.op == 0x1) {
      c.keep = len <= max_kept_text;
    } else if (c.op == 0x2) {
      c.keep = c.capture;
      if (latency_on_.load(std::memory_order_relaxed) && c.partition >= 0) {
        auto* ts = w.stamp(c.partition, c.offset);
        if (ts != nullptr && *ts >= 0) {
          c.ts_us = *ts;
        } else {
          c.keep = true;
        }
      }
    } else {
      c.keep = false;
    }
  };
  auto header_len = [](const connection& c) -> std::size_t {
    auto l7 = c.hdr[1] & 0x7f;
    return l7 == 126 ? 4 : l7 == 127 ? 10 : 2;
  };
  auto end = [&](connection& c, int64_t now_us) {
    c.in_payload = false;
    auto hlen = header_len(c);
    c.hdr_have = 0;
    if (c.op == 0x1) {
      if (std::string_view{c.body}.substr(0, cursor_prefix.size()) ==
          cursor_prefix) {
        parse_cursor(c.body, c.partition, c.offset);
        if (c.capture) {
          capture_starts_.push_back(capture_.size());
          capture_.append(reinterpret_cast<const char*>(c.hdr), hlen);
          capture_.append(c.body);
        }
      }
    } else if (c.op == 0x2) {
      if (c.capture) {
        capture_.append(reinterpret_cast<const char*>(c.hdr), hlen);
        capture_.append(c.body);
      }
      if (latency_on_.load(std::memory_order_relaxed) && c.partition >= 0) {
        auto ts = c.ts_us;
        if (ts < 0) {
          proto::message msg;
          if (proto::decode(c.body, proto::decode_options{}, msg)) {
            if (const auto* h = proto::top_header(msg)) {
              ts = static_cast<int64_t>(h->timestamp_us());
            }
          }
          if (auto* slot = w.stamp(c.partition, c.offset)) {
            *slot = std::max<int64_t>(ts, 0);
          }
        }
        if (ts > 0) {
          auto us = now_us - ts;
          w.hist.add(us);
          auto slot = static_cast<std::size_t>(
            std::max<int64_t>(0, now_us - latency_since_us_.load()) / slot_us);
          if (slot >= w.timeline.size()) {
            w.timeline.resize(slot + 1);
          }
          auto& sl = w.timeline[slot];
          ++sl.records;
          sl.late += us > late_us ? 1 : 0;
          sl.max_us = std::max(sl.max_us, us);
        }
      }
      c.records.fetch_add(1, std::memory_order_release);
    } else if (c.op == 0x8) {
      c.closed = true;
    }
  };
  auto consume = [&](connection& c, const char* p, std::size_t n,
                     int64_t now_us) {
    while (n > 0 && !c.closed.load(std::memory_order_relaxed)) {
      if (!c.in_payload) {
        while (n > 0 && (c.hdr_have < 2 || c.hdr_have < header_len(c))) {
          c.hdr[c.hdr_have++] = static_cast<uint8_t>(*p++);
          --n;
        }
        if (c.hdr_have < 2 || c.hdr_have < header_len(c)) {
          return;
        }
        if ((c.hdr[1] & 0x80) != 0) { // servers never mask (RFC 6455 §5.1)
          c.closed = true;
          return;
        }
        uint64_t len = c.hdr[1] & 0x7f;
        if (len >= 126) {
          auto k = header_len(c);
          len = 0;
          for (std::size_t i = 2; i < k; ++i) {
            len = (len << 8) | c.hdr[i];
          }
        }
        c.op = c.hdr[0] & 0x0f;
        c.left = len;
        c.in_payload = true;
        begin(c, len);
        if (len == 0) {
          end(c, now_us);
        }
        continue;
      }
      auto m = static_cast<std::size_t>(std::min<uint64_t>(n, c.left));
      if (c.keep) {
        c.body.append(p, m);
      }
      p += m;
      n -= m;
      c.left -= m;
      if (c.left == 0) {
        end(c, now_us);
      }
    }
  };
  for (auto* c : w.conns) {
    if (!c->initial.empty()) {
      consume(*c, c->initial.data(), c->initial.size(), wall_us());
      c->initial.clear();
      c->initial.shrink_to_fit();
    }
  }
  std::vector<char> buf(std::size_t{256} << 10);
  epoll_event events[64];
  while (!stopping_.load(std::memory_order_relaxed)) {
    int k = ::epoll_wait(w.epfd, events, 64, 20);
    // The window of a run starts when its first bytes are there to read.
    const auto woke = k > 0 ? steady_ns() : 0;
    bool got = false;
    for (int i = 0; i < k; ++i) {
      auto& c = *static_cast<connection*>(events[i].data.ptr);
      auto n = ::read(c.fd, buf.data(), buf.size());
      if (n > 0) {
        auto before = c.records.load(std::memory_order_relaxed);
        consume(c, buf.data(), static_cast<std::size_t>(n), wall_us());
        got = got || c.records.load(std::memory_order_relaxed) != before;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        c.closed = true;
      }
      if (c.closed.load(std::memory_order_relaxed)) {
        ::epoll_ctl(w.epfd, EPOLL_CTL_DEL, c.fd, nullptr);
      }
    }
    if (got) {
      auto now = steady_ns();
      w.progress_ns.store(now);
      int64_t zero = 0;
      first_ns_.compare_exchange_strong(zero, woke);
    }
    w.cpu_ns.store(thread_cpu_ns());
  }
  w.cpu_ns.store(thread_cpu_ns());
}

caf::error
frame_reader::wait_for(const std::function<uint64_t()>& target,
                       std::chrono::steady_clock::time_point deadline,
                       const std::function<bool()>& stop,
                       const std::function<void()>& tick) {
  using namespace std::chrono_literals;
  auto next_tick = std::chrono::steady_clock::now();
  for (;;) {
    if (min_records() >= target()) {
      return {};
    }
    if (auto n = closed(); n > 0) {
      return make_error(errc::child_failed,
                        std::to_string(n) + " of " +
                          std::to_string(conns_.size()) +
                          " connections were closed by the peer, the "
                          "fewest records on one is " +
                          std::to_string(min_records()));
    }
    auto now = std::chrono::steady_clock::now();
    if (now > deadline) {
      return make_error(errc::timed_out,
                        "the slowest of " + std::to_string(conns_.size()) +
                          " connections has " + std::to_string(min_records()) +
                          " records (" + std::to_string(records()) +
                          " in all)");
    }
    if (stop && stop()) {
      return make_error(errc::interrupted, "stopped");
    }
    if (tick && now >= next_tick) {
      tick();
      next_tick = now + 200ms;
    }
    std::this_thread::sleep_for(1ms);
  }
}

} // namespace ds::bench

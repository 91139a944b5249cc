#include "tools/bench/metrics_scrape.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tools/bench/errc.hpp"

namespace ds::bench {

caf::expected<std::string> http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return make_error(errc::io_failed, "socket() failed");
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return make_error(errc::io_failed,
                      "cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  auto req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
             "Connection: close\r\n\r\n";
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return make_error(errc::io_failed, "cannot send the request");
  }
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) {
    resp.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto body = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.1 2", 0) != 0 || body == std::string::npos) {
    return make_error(errc::io_failed,
                      "GET " + path + ": " + resp.substr(0, resp.find('\r')));
  }
  return resp.substr(body + 4);
}

histogram histogram::minus(const histogram& earlier) const {
  histogram d = *this;
  if (earlier.buckets.size() == buckets.size()) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      d.buckets[i].second -= earlier.buckets[i].second;
    }
  }
  d.count -= earlier.count;
  d.sum -= earlier.sum;
  return d;
}

quantile_estimate quantile(const histogram& h, double q) {
  quantile_estimate r;
  if (h.count <= 0 || h.buckets.empty()) {
    return r;
  }
  auto rank = q * h.count;
  double lower = 0;
  double below = 0;
  for (const auto& [le, cum] : h.buckets) {
    if (cum >= rank && cum > below) {
      r.valid = true;
      r.lower = lower;
      r.upper = le;
      if (std::isinf(le)) {
        // Beyond the last bound: all we know is "above it".
        r.value = lower;
      } else {
        r.value = lower + (le - lower) * (rank - below) / (cum - below);
      }
      return r;
    }
    lower = le;
    below = cum;
  }
  return r;
}

quantile_estimate max_bucket(const histogram& h) {
  quantile_estimate r;
  double lower = 0;
  double below = 0;
  for (const auto& [le, cum] : h.buckets) {
    if (cum > below) {
      r.valid = true;
      r.lower = lower;
      r.upper = le;
      r.value = std::isinf(le) ? lower : le;
    }
    lower = le;
    below = cum;
  }
  return r;
}

namespace {

// The value of label `name` inside `{...}`, or "".
std::string_view label(std::string_view labels, std::string_view name) {
  auto key = std::string{name} + "=\"";
  auto pos = labels.find(key);
  if (pos == std::string_view::npos) {
    return {};
  }
  pos += key.size();
  auto end = labels.find('"', pos);
  return labels.substr(pos, end - pos);
}

double to_double(std::string_view s) {
  if (s == "+Inf") {
    return std::numeric_limits<double>::infinity();
  }
  return std::strtod(std::string{s}.c_str(), nullptr);
}

} // namespace

daemon_metrics parse_metrics(std::string_view text) {
  daemon_metrics m;
  std::map<double, double> buckets;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text =
      nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto sp = line.rfind(' ');
    if (sp == std::string_view::npos) {
      continue;
    }
    auto series = line.substr(0, sp);
    auto value = to_double(line.substr(sp + 1));
    auto brace = series.find('{');
    auto name = series.substr(0, brace);
    auto labels = brace == std::string_view::npos ? std::string_view{}
                                                  : series.substr(brace);
    if (name == "dashstream_records_total") {
      auto outcome = label(labels, "outcome");
      if (outcome == "ok") {
        m.records_ok += value;
      } else if (outcome == "decode_error") {
        m.records_decode_error += value;
      } else if (outcome == "rejected") {
        m.records_rejected += value;
      } else {
        m.records_other += value;
      }
    } else if (name == "dashstream_dlq_records_total") {
      m.has_dlq = true;
      m.dlq_records += value;
    } else if (name == "dashstream_dlq_spooled_records") {
      m.dlq_spooled_now += value;
    } else if (name == "dashstream_dlq_drained_records_total") {
      m.dlq_drained += value;
    } else if (name == "dashstream_dlq_write_failures_total") {
      m.dlq_write_failures += value;
    } else if (name == "dashstream_consumer_lag_messages") {
      m.lag_messages += value;
    } else if (name == "dashstream_sequence_gaps_total") {
      m.gaps += value;
    } else if (name == "dashstream_sequence_duplicates_total") {
      m.duplicates += value;
    } else if (name == "dashstream_sequence_reorders_total") {
      m.reorders += value;
    } else if (name == "dashstream_decode_errors_total") {
      m.decode_errors += value;
    } else if (name == "dashstream_actor_restarts_total") {
      m.restarts += value;
    } else if (name == "dashstream_partition_pauses_total") {
      m.partition_pauses += value;
    } else if (name == "dashstream_process_cpu_seconds_total") {
      m.process_cpu_seconds = value;
    } else if (name == "dashstream_process_resident_memory_bytes") {
      m.resident_bytes = value;
    } else if (name == "dashstream_e2e_latency_seconds_bucket") {
      buckets[to_double(label(labels, "le"))] += value;
    } else if (name == "dashstream_e2e_latency_seconds_count") {
      m.e2e_latency.count = value;
    } else if (name == "dashstream_e2e_latency_seconds_sum") {
      m.e2e_latency.sum = value;
    }
  }
  m.e2e_latency.buckets.assign(buckets.begin(), buckets.end());
  return m;
}

} // namespace ds::bench

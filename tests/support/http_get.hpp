#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ds::test {

/// A blocking GET to 127.0.0.1 for tests: the status code (0 when the
/// connection fails) and the body.
struct http_reply {
  int status = 0;
  std::string body;
};

inline http_reply http_get_status(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  auto req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" +
             "Connection: close\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string resp;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) {
    resp.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  http_reply out;
  // "HTTP/1.1 200 OK"
  if (resp.size() > 12 && resp.compare(0, 5, "HTTP/") == 0) {
    out.status = std::atoi(resp.c_str() + resp.find(' ') + 1);
  }
  auto body = resp.find("\r\n\r\n");
  if (body != std::string::npos) {
    out.body = resp.substr(body + 4);
  }
  return out;
}

/// A blocking HTTP/1.1 GET to 127.0.0.1 for tests; returns the body, or
/// an empty string when the connection fails.
inline std::string http_get(uint16_t port, const std::string& path) {
  return http_get_status(port, path).body;
}

/// One sample value from a Prometheus text exposition (sum over every
/// series whose name and label text start as given), e.g.
/// scrape_value(text, "dashstream_records_total{outcome=\"ok\"}").
inline double scrape_value(const std::string& text, const std::string& key) {
  double total = 0;
  std::size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      auto sp = text.find(' ', pos);
      auto nl = text.find('\n', pos);
      if (sp != std::string::npos && sp < nl) {
        total += std::stod(text.substr(sp + 1, nl - sp - 1));
      }
    }
    pos += key.size();
  }
  return total;
}

} // namespace ds::test

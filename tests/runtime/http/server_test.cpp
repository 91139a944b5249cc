#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/http/client.hpp"
#include "runtime/http/errc.hpp"
#include "runtime/http/metrics_endpoint.hpp"
#include "runtime/http/server.hpp"
#include "runtime/metrics/exposition.hpp"
#include "runtime/metrics/process_probe.hpp"
#include "runtime/metrics/registry.hpp"

using namespace ds::http;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// -- a tiny blocking HTTP client over raw sockets ----------------------------
// Raw sockets, so a test can send exactly the bytes it means: half a
// request, an oversize header, a literal "..".

struct reply {
  int status = 0;
  std::map<std::string, std::string> headers; // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    auto i = headers.find(name);
    return i == headers.end() ? std::string{} : i->second;
  }
};

class client {
public:
  explicit client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    // Bounds every blocking call, so a broken server fails the test
    // instead of hanging it; no test waits for this to pass.
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ==
            0);
  }

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  ~client() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        throw std::runtime_error("send failed");
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  /// False once the connection is gone (EPIPE, ECONNRESET).
  bool try_send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  /// One response; the body is skipped for HEAD. nullopt if the connection
  /// ends (or 10 s pass) first.
  std::optional<reply> read_response(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    reply r;
    std::istringstream lines{buf_.substr(0, end)};
    std::string line;
    std::getline(lines, line);
    r.status = std::stoi(line.substr(line.find(' ') + 1, 3));
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      auto colon = line.find(':');
      auto name = line.substr(0, colon);
      std::transform(
        name.begin(), name.end(), name.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    buf_.erase(0, end + 4);
    size_t length = head ? 0 : std::stoul(r.header("content-length"));
    while (buf_.size() < length) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  /// True once the server has closed the connection (FIN or RST), false if
  /// it is still open after 10 s. Discards anything received.
  bool wait_closed() {
    while (fill()) {
    }
    return errno_ != EAGAIN && errno_ != EWOULDBLOCK;
  }

  /// After wait_closed(): whether the server ended with FIN (not RST).
  bool closed_cleanly() const { return errno_ == 0; }

  /// Whatever arrived before the connection ended.
  const std::string& received() const { return buf_; }

  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

private:
  bool fill() {
    char chunk[4096];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    errno_ = n == 0 ? 0 : errno;
    return false;
  }

  int fd_ = -1;
  int errno_ = 0;
  std::string buf_;
};

std::string get_request(const std::string& target,
                        const std::string& method = "GET",
                        bool keep_alive = false,
                        const std::string& extra_headers = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: test\r\n" +
         (keep_alive ? "" : "Connection: close\r\n") + extra_headers + "\r\n";
}

reply fetch(uint16_t port, const std::string& target,
            const std::string& method = "GET",
            const std::string& extra_headers = "") {
  client c{port};
  c.send(get_request(target, method, false, extra_headers));
  auto r = c.read_response(method == "HEAD");
  REQUIRE(r);
  return *r;
}

// -- fixtures -----------------------------------------------------------------

/// A directory tree for static routes, beside a file it must not reveal.
struct ui_tree {
  ui_tree() {
    std::random_device rd;
    base = fs::temp_directory_path() /
           ("ds_http_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(rd()));
    root = base / "ui";
    fs::create_directories(root / "sub");
    write(base / "secret.txt", "TOPSECRET");
    write(root / "index.html", "<h1>ui</h1>");
    write(root / "app.js", "console.log(1)");
    write(root / "style.css", "body{}");
    write(root / "sub" / "index.html", "<h1>sub</h1>");
    fs::create_directories(root / "assets");
    write(root / "assets" / "app-1a2b.js", "let x=1");
    write(root / "assets" / "app-1a2b.js.gz", "GZBYTES");
    fs::create_symlink(base / "secret.txt", root / "link.txt");
  }
  ~ui_tree() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  static void write(const fs::path& p, const std::string& text) {
    std::ofstream{p} << text;
  }
  fs::path base;
  fs::path root;
};

router test_routes(const fs::path& ui_root) {
  router r;
  REQUIRE_FALSE(r.get("/hello", [](const request&) {
    response res;
    res.content_type = "text/plain";
    res.body = "hello";
    return res;
  }));
  REQUIRE_FALSE(r.get("/echo", [](const request& req) {
    nlohmann::json j{{"path", req.path},
                     {"query", req.query},
                     {"name", req.query_param("name").value_or("<none>")},
                     {"remote", req.remote_address},
                     {"agent", req.header("User-Agent").value_or("")}};
    return response::json(200, j.dump());
  }));
  REQUIRE_FALSE(r.get("/throw", [](const request&) -> response {
    throw std::runtime_error("boom");
  }));
  REQUIRE_FALSE(r.post("/act", [](const request& req) {
    return response::json(
      200,
      nlohmann::json{{"did", req.query_param("what").value_or("")}}.dump());
  }));
  REQUIRE_FALSE(r.serve_directory("/ui/", ui_root));
  return r;
}

struct running {
  ds::metrics::registry registry;
  std::unique_ptr<server> srv;

  uint16_t port() const { return srv->port(); }

  double metric(const std::string& series) const {
    auto text = ds::metrics::render_text(registry.get());
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(series + " ", 0) == 0) {
        return std::stod(line.substr(series.size() + 1));
      }
    }
    return 0; // a series not yet created has counted nothing
  }
};

running start(router routes, server_config cfg = {}) {
  running r;
  auto s = server::start(std::move(cfg), std::move(routes), r.registry);
  REQUIRE(s);
  r.srv = std::move(*s);
  REQUIRE(r.port() != 0);
  return r;
}

} // namespace

TEST_CASE("routes answer GET with their body, HEAD without it") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));

  auto r = fetch(s.port(), "/hello");
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
  CHECK(r.header("content-type") == "text/plain");
  CHECK(r.header("content-length") == "5");
  CHECK(r.header("x-content-type-options") == "nosniff");

  SECTION("HEAD: GET's headers, no body bytes on the wire") {
    client c{s.port()};
    c.send(get_request("/hello", "HEAD", true));
    auto head = c.read_response(true);
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->header("content-length") == "5");
    // Had body bytes followed, they would be read as the next status line.
    c.send(get_request("/hello"));
    auto next = c.read_response();
    REQUIRE(next);
    CHECK(next->status == 200);
    CHECK(next->body == "hello");
  }
  SECTION("a kept-alive connection serves several requests") {
    client c{s.port()};
    for (int i = 0; i < 3; ++i) {
      c.send(get_request("/hello", "GET", true));
      auto again = c.read_response();
      REQUIRE(again);
      CHECK(again->body == "hello");
    }
  }
}

TEST_CASE("unknown paths get 404 and wrong methods 405, as JSON") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));

  auto r = fetch(s.port(), "/nope");
  CHECK(r.status == 404);
  CHECK(r.header("content-type") == "application/json");
  CHECK(nlohmann::json::parse(r.body)["error"] == "not_found");

  for (const char* method : {"POST", "DELETE", "OPTIONS"}) {
    INFO(method);
    r = fetch(s.port(), "/hello", method);
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "GET, HEAD");
    CHECK(nlohmann::json::parse(r.body)["error"] == "method_not_allowed");
  }
  r = fetch(s.port(), "/ui/app.js", "PUT");
  CHECK(r.status == 405);

  // The path label comes from the route table; strays are "other".
  CHECK(s.metric(
          "dashstream_http_requests_total{code=\"404\",path=\"other\"}") == 1);
  CHECK(s.metric(
          "dashstream_http_requests_total{code=\"405\",path=\"/hello\"}") == 3);
  CHECK(s.metric(
          "dashstream_http_requests_total{code=\"405\",path=\"/ui/\"}") == 1);
}

TEST_CASE("post routes answer POST only: a GET never changes state") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));
  auto r = fetch(s.port(), "/act?what=reset", "POST");
  CHECK(r.status == 200);
  CHECK(nlohmann::json::parse(r.body)["did"] == "reset");
  for (const char* method : {"GET", "HEAD", "PUT"}) {
    INFO(method);
    r = fetch(s.port(), "/act?what=reset", method);
    CHECK(r.status == 405);
    CHECK(r.header("allow") == "POST");
  }
  // And a GET route still refuses POST.
  CHECK(fetch(s.port(), "/hello", "POST").header("allow") == "GET, HEAD");
}

TEST_CASE("a POST body reaches its handler, and request_once sends one") {
  router r;
  REQUIRE_FALSE(r.post("/ingest", [](const request& req) {
    nlohmann::json j{{"bytes", req.body.size()},
                     {"type", req.header("content-type").value_or("")},
                     {"head", req.body.substr(0, 4)}};
    return response::json(200, j.dump());
  }));
  auto s = start(std::move(r));
  request_body body{"application/json", std::string(10'000, 'x')};
  auto res = request_once("127.0.0.1", s.port(), "POST", "/ingest", 5s, &body);
  REQUIRE(res);
  CHECK(res->status == 200);
  auto j = nlohmann::json::parse(res->body);
  CHECK(j["bytes"] == 10'000);
  CHECK(j["type"] == "application/json");
  CHECK(j["head"] == "xxxx");
  // Without a body, as before.
  res = request_once("127.0.0.1", s.port(), "POST", "/ingest", 5s);
  REQUIRE(res);
  CHECK(nlohmann::json::parse(res->body)["bytes"] == 0);
}

TEST_CASE("handlers see the query string, headers and peer address") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));
  client c{s.port()};
  c.send("GET /echo?x=1&name=a%20b+c HTTP/1.1\r\nHost: t\r\n"
         "User-Agent: probe/1\r\nConnection: close\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  auto j = nlohmann::json::parse(r->body);
  CHECK(j["path"] == "/echo");
  CHECK(j["query"] == "x=1&name=a%20b+c");
  CHECK(j["name"] == "a b c");
  CHECK(j["remote"] == "127.0.0.1");
  CHECK(j["agent"] == "probe/1");
  CHECK(s.metric(
          "dashstream_http_requests_total{code=\"200\",path=\"/echo\"}") == 1);
}

TEST_CASE("a throwing handler gets 500 and the server carries on") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));
  auto r = fetch(s.port(), "/throw");
  CHECK(r.status == 500);
  CHECK(nlohmann::json::parse(r.body)["error"] == "internal_error");
  CHECK(fetch(s.port(), "/hello").status == 200);
}

TEST_CASE("static files: content types, index.html, redirect, 404") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));

  auto r = fetch(s.port(), "/ui/");
  CHECK(r.status == 200);
  CHECK(r.body == "<h1>ui</h1>");
  CHECK(r.header("content-type") == "text/html; charset=utf-8");

  r = fetch(s.port(), "/ui/app.js");
  CHECK(r.body == "console.log(1)");
  CHECK(r.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(fetch(s.port(), "/ui/style.css").header("content-type") ==
        "text/css; charset=utf-8");
  CHECK(fetch(s.port(), "/ui/sub/").body == "<h1>sub</h1>");
  CHECK(fetch(s.port(), "/ui/sub").body == "<h1>sub</h1>");
  CHECK(fetch(s.port(), "/ui/app.js?v=3").body == "console.log(1)");

  r = fetch(s.port(), "/ui");
  CHECK(r.status == 301);
  CHECK(r.header("location") == "/ui/");

  r = fetch(s.port(), "/ui/missing.js");
  CHECK(r.status == 404);
  CHECK(nlohmann::json::parse(r.body)["error"] == "not_found");

  r = fetch(s.port(), "/ui/app.js", "HEAD");
  CHECK(r.status == 200);
  CHECK(r.header("content-length") == "14");
}

TEST_CASE("static files: precompressed gzip, and caching by kind") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));
  const std::string gzip = "Accept-Encoding: gzip, br\r\n";

  auto r = fetch(s.port(), "/ui/assets/app-1a2b.js", "GET", gzip);
  CHECK(r.status == 200);
  CHECK(r.body == "GZBYTES");
  CHECK(r.header("content-encoding") == "gzip");
  CHECK(r.header("content-type") == "text/javascript; charset=utf-8");
  CHECK(r.header("vary") == "Accept-Encoding");
  CHECK(r.header("cache-control") == "public, max-age=31536000, immutable");

  // No gzip in Accept-Encoding, or q=0: the plain file.
  for (const std::string& h :
       {std::string{}, std::string{"Accept-Encoding: gzip;q=0\r\n"}}) {
    r = fetch(s.port(), "/ui/assets/app-1a2b.js", "GET", h);
    CHECK(r.body == "let x=1");
    CHECK(r.header("content-encoding") == "");
  }
  // No .gz beside the file: the plain file even when gzip is welcome.
  r = fetch(s.port(), "/ui/app.js", "GET", gzip);
  CHECK(r.body == "console.log(1)");
  CHECK(r.header("content-encoding") == "");
  // Files outside assets/ (index.html names the hashed files) revalidate.
  CHECK(r.header("cache-control") == "no-cache");
  CHECK(fetch(s.port(), "/ui/").header("cache-control") == "no-cache");
  // The .gz itself is not a way around the directory's rules.
  CHECK(fetch(s.port(), "/ui/assets/app-1a2b.js.gz").status == 200);
}

TEST_CASE("static files: traversal attempts never leave the directory") {
  ui_tree ui;
  SECTION("below a prefix") {
    auto s = start(test_routes(ui.root));
    for (const char* target :
         {"/ui/../secret.txt", "/ui/%2e%2e/secret.txt",
          "/ui/%2E%2E%2Fsecret.txt", "/ui/..%2fsecret.txt",
          "/ui/sub/../../secret.txt", "/ui//etc/passwd", "/ui/%2Fetc%2Fpasswd",
          "/ui/index.html%00.png", "/ui/%00", "/ui/..%5csecret.txt", "/ui/%zz",
          "/ui/link.txt"}) {
      INFO(target);
      auto r = fetch(s.port(), target);
      CHECK(r.status == 400);
      CHECK(nlohmann::json::parse(r.body)["error"] == "bad_path");
      CHECK(r.body.find("TOPSECRET") == std::string::npos);
    }
  }
  SECTION("at the root") {
    router routes;
    REQUIRE_FALSE(routes.serve_directory("/", ui.root));
    auto s = start(std::move(routes));
    CHECK(fetch(s.port(), "/").body == "<h1>ui</h1>");
    for (const char* target :
         {"/../etc/passwd", "/%2e%2e/etc/passwd", "/%2e%2e%2fsecret.txt",
          "/../secret.txt", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd"}) {
      INFO(target);
      auto r = fetch(s.port(), target);
      CHECK(r.status == 400);
      CHECK(r.body.find("root:") == std::string::npos);
      CHECK(r.body.find("TOPSECRET") == std::string::npos);
    }
  }
}

TEST_CASE("route registration errors are values") {
  ui_tree ui;
  router r;
  REQUIRE_FALSE(r.get("/a", [](const request&) { return response{}; }));
  auto dup = r.get("/a", [](const request&) { return response{}; });
  CHECK(to_errc(dup) == errc::invalid_route);
  CHECK(to_errc(r.get("no-slash", [](const request&) { return response{}; })) ==
        errc::invalid_route);
  CHECK(to_errc(r.serve_directory("/x", ui.root)) == errc::invalid_route);
  CHECK(to_errc(r.serve_directory("/x/", ui.root / "missing")) ==
        errc::invalid_config);
}

TEST_CASE("an oversize request gets 413 and the connection closes") {
  ui_tree ui;
  auto s = start(test_routes(ui.root)); // max_request_bytes = 64 KiB
  SECTION("header") {
    client c{s.port()};
    c.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " +
           std::string(70 * 1024, 'a') + "\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(nlohmann::json::parse(r->body)["error"] == "request_too_large");
    // A client may still be sending when the 413 comes. The server keeps
    // reading (and discarding) until the client is done, instead of closing
    // on unread bytes, which makes the kernel answer with RST and can
    // destroy the 413 before the client reads it.
    for (int i = 0; i < 3; ++i) {
      CHECK(c.try_send(std::string(1024, 'a')));
    }
    c.shutdown_send();
    CHECK(c.wait_closed());
    CHECK(c.closed_cleanly());
  }
  SECTION("body") {
    client c{s.port()};
    c.send("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" +
           std::string(100000, 'b'));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 413);
    for (int i = 0; i < 3; ++i) {
      CHECK(c.try_send(std::string(1024, 'b')));
    }
    c.shutdown_send();
    CHECK(c.wait_closed());
    CHECK(c.closed_cleanly());
  }
  CHECK(s.metric("dashstream_http_rejected_connections_total"
                 "{reason=\"request_too_large\"}") == 1);
  // Just under the limit is fine.
  client ok{s.port()};
  ok.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " +
          std::string(60 * 1024, 'a') + "\r\nConnection: close\r\n\r\n");
  auto r = ok.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("a malformed request gets 400") {
  ui_tree ui;
  auto s = start(test_routes(ui.root));
  client c{s.port()};
  c.send("NOT AN HTTP REQUEST\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(c.wait_closed());
}

TEST_CASE("the 11th concurrent connection from one IP gets 429") {
  ui_tree ui;
  auto s = start(test_routes(ui.root)); // max_connections_per_ip = 10
  std::vector<std::unique_ptr<client>> held;
  for (int i = 0; i < 10; ++i) {
    held.push_back(std::make_unique<client>(s.port()));
    held.back()->send(get_request("/hello", "GET", true));
    auto r = held.back()->read_response(); // answered: its slot is taken
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  {
    client eleventh{s.port()};
    eleventh.send(get_request("/hello", "GET", true));
    auto r = eleventh.read_response();
    REQUIRE(r);
    CHECK(r->status == 429);
    auto j = nlohmann::json::parse(r->body);
    CHECK(j["error"] == "too_many_connections");
    CHECK(r->header("connection") == "close");
    CHECK(eleventh.wait_closed());
  }
  CHECK(s.metric("dashstream_http_rejected_connections_total"
                 "{reason=\"per_ip_limit\"}") == 1);

  // Close one held connection: once the server has closed its side (which
  // it does only after giving up the slot), a new connection is admitted.
  held.front()->shutdown_send();
  REQUIRE(held.front()->wait_closed());
  held.erase(held.begin());
  client again{s.port()};
  again.send(get_request("/hello"));
  auto r = again.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);

  // The held ones still work.
  held.back()->send(get_request("/hello", "GET", true));
  auto still = held.back()->read_response();
  REQUIRE(still);
  CHECK(still->status == 200);
}

TEST_CASE("a client that stalls mid-request is dropped without a reply") {
  ui_tree ui;
  server_config cfg;
  cfg.read_timeout = 200ms;
  auto s = start(test_routes(ui.root), cfg);
  client stalled{s.port()};
  stalled.send("GET /hello HTTP/1.1\r\nHost: t\r\n"); // no blank line
  client idle{s.port()};                              // sends nothing
  CHECK(stalled.wait_closed());
  CHECK(stalled.received().empty());
  CHECK(idle.wait_closed());
  // Beast's timer closes the socket before the read handler that counts
  // runs; once stop() has joined the io thread, every handler has.
  s.srv->stop();
  // Only the stalled request counts as a rejection; idleness is not.
  CHECK(s.metric("dashstream_http_rejected_connections_total"
                 "{reason=\"read_timeout\"}") == 1);
}

TEST_CASE("stop() with clients connected returns promptly and closes them") {
  ui_tree ui;
  server_config cfg;
  // Far longer than the test may take: stop() must not wait for timeouts.
  cfg.read_timeout = 60s;
  cfg.write_timeout = 60s;
  auto s = start(test_routes(ui.root), cfg);
  client idle{s.port()};
  client stalled{s.port()};
  stalled.send("GET /hello HTTP/1.1\r\nHost: t\r\n");
  client kept{s.port()};
  kept.send(get_request("/hello", "GET", true));
  REQUIRE(kept.read_response());

  auto before = std::chrono::steady_clock::now();
  s.srv->stop();
  auto took = std::chrono::steady_clock::now() - before;
  CHECK(took < 10s);
  CHECK(idle.wait_closed());
  CHECK(stalled.wait_closed());
  CHECK(kept.wait_closed());
  CHECK(s.metric("dashstream_http_connections") == 0);
  s.srv->stop(); // idempotent
}

TEST_CASE("start() failures are typed errors") {
  ui_tree ui;
  SECTION("the port is taken") {
    auto first = start(test_routes(ui.root));
    server_config cfg;
    cfg.port = first.port();
    ds::metrics::registry reg;
    auto second = server::start(cfg, test_routes(ui.root), reg);
    REQUIRE_FALSE(second);
    CHECK(to_errc(second.error()) == errc::address_in_use);
    auto msg = second.error().context().get_as<std::string>(0);
    CHECK_THAT(msg, Catch::Contains(std::to_string(first.port())));
    // The first server is unaffected.
    CHECK(fetch(first.port(), "/hello").status == 200);
  }
  SECTION("the host is not an address") {
    server_config cfg;
    cfg.host = "dashboard.example";
    ds::metrics::registry reg;
    auto s = server::start(cfg, router{}, reg);
    REQUIRE_FALSE(s);
    CHECK(to_errc(s.error()) == errc::invalid_host);
  }
  SECTION("a config value is out of range") {
    server_config cfg;
    cfg.io_threads = 0;
    ds::metrics::registry reg;
    auto s = server::start(cfg, router{}, reg);
    REQUIRE_FALSE(s);
    CHECK(to_errc(s.error()) == errc::invalid_config);
  }
}

TEST_CASE("several io threads serve concurrently") {
  ui_tree ui;
  server_config cfg;
  cfg.io_threads = 2;
  auto s = start(test_routes(ui.root), cfg);
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<client>(s.port()));
    clients.back()->send(get_request("/hello"));
  }
  for (auto& c : clients) {
    auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->body == "hello");
  }
}

TEST_CASE("the /metrics handler renders the whole registry") {
  ds::metrics::registry reg;
  ds::metrics::process_probe process{reg.get(), {"0.1.0", "abc", "1"}};
  router routes;
  REQUIRE_FALSE(routes.get("/metrics", metrics_handler(reg, process)));
  auto s = server::start({}, std::move(routes), reg);
  REQUIRE(s);
  auto port = (*s)->port();
  fetch(port, "/nope");
  auto r = fetch(port, "/metrics");
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4");
  CHECK_THAT(r.body, Catch::Contains("dashstream_build_info{"));
  CHECK_THAT(r.body, Catch::Contains("dashstream_process_uptime_seconds "));
  // The server's own metrics are in the same registry.
  CHECK_THAT(r.body, Catch::Contains("dashstream_http_requests_total{code="
                                     "\"404\",path=\"other\"} 1"));
}

// libFuzzer target for what an HTTP client sends: bytes off the socket
// through Boost.Beast's request parser with the server's limits (as
// session.cpp reads them: 64 KiB of header, 64 KiB of body, pipelined
// requests one after the other), then each whole request converted the way
// session::answer() does and dispatched by a router shaped like the
// daemon's: exact GET routes reading query parameters and headers, a POST
// route, a WebSocket route, and the static UI mounted at "/" (plus "/docs/")
// over a directory that has a dotfile and symlinks leading out of it.
// For any bytes:
// - nothing crashes or reads out of bounds (ASan/UBSan watch), and nothing
//   throws out of the router;
// - no file outside the served directory, and no dotfile, is ever served
//   (their contents carry a marker that must never appear in a body);
// - a 200 from the static mount is for a path safe_relative_path()
//   accepts, whose components are never "", "." or ".." or dotfiles;
// - every JSON body parses (error bodies quote the path: bad UTF-8 in it
//   must not break them), and metric_label() stays within metric_labels();
// - percent_decode(percent_encode(x)) == x for the target's bytes.
// Run: http_request_fuzz -max_total_time=20 <corpus-dir> (ctest -L fuzz
// does this on a copy of tests/runtime/http/fuzz_corpus).

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/http/request.hpp"
#include "runtime/http/response.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/static_files.hpp"
#include "runtime/http/target.hpp"

namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// server_config::max_request_bytes' default.
constexpr std::size_t request_limit = 64 * 1024;
// What no served body may contain: written into every file a request must
// never reach.
constexpr std::string_view secret_marker = "NOT-FOR-CLIENTS";

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "http_request_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void write_file(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream out{p, std::ios::binary};
  out << text;
  if (!out) {
    fail("cannot write", p.string());
  }
}

struct fixture {
  fs::path base;
  ds::http::router routes;
  std::set<std::string> labels;
};

fixture* fx = nullptr;

std::optional<int64_t> integer(const std::string& text) {
  int64_t x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return x;
}

// Like app/ui_routes.cpp: absent is the default, bad is a 400.
ds::http::response int_param(const ds::http::request& req,
                             std::string_view name) {
  auto text = req.query_param(name);
  if (!text) {
    return ds::http::response::json(200, R"({"value":null})");
  }
  auto x = integer(*text);
  if (!x) {
    return ds::http::response::error(400, "bad_parameter",
                                     std::string{name} + " = " + *text +
                                       " is not an integer");
  }
  return ds::http::response::json(200, nlohmann::json{{"value", *x}}.dump());
}

void build_routes(fixture& f) {
  using ds::http::request;
  using ds::http::response;
  auto& r = f.routes;
  auto must = [](const caf::error& err) {
    if (err) {
      fail("route setup failed");
    }
  };
  must(r.get("/health", [](const request&) {
    return response::json(200, R"({"status":"healthy"})");
  }));
  must(r.get("/api/stats",
             [](const request& req) { return int_param(req, "since"); }));
  must(r.get("/api/dlq", [](const request& req) {
    auto auth = req.header("authorization");
    auto token = req.query_param("token");
    if (!auth && !token) {
      return response::bearer_refused("no bearer token");
    }
    return int_param(req, "limit");
  }));
  must(r.post("/admin/threads/reset", [](const request& req) {
    auto thread = req.query_param("thread");
    if (!thread || thread->empty()) {
      return response::error(400, "bad_request", "thread is required");
    }
    nlohmann::json body{{"reset", *thread}, {"bytes", req.body.size()}};
    return response::json(
      200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }));
  must(r.websocket("/ws", [](const request& req) {
    ds::http::ws_upgrade up;
    if (!req.query_param("token") && !req.header("authorization")) {
      up.refuse = response::bearer_refused("no bearer token");
    }
    // No attach: the fuzzer never completes a handshake.
    return up;
  }));
  auto root = f.base / "ui";
  must(r.serve_directory("/", root));
  must(r.serve_directory("/docs/", root / "docs"));
  for (const auto& label : r.metric_labels()) {
    f.labels.insert(label);
  }
}

// The UI tree, and what lies next to it.
void build_tree(const fs::path& base) {
  auto root = base / "ui";
  write_file(root / "index.html", "<!doctype html><title>ui</title>");
  write_file(root / "app.js", "console.log('app');");
  write_file(root / "app.js.gz", "gzip bytes of app.js");
  write_file(root / "assets/app-3f2a.js", "export const x = 1;");
  write_file(root / "assets/app-3f2a.js.gz", "gzip bytes of the asset");
  write_file(root / "assets/style-9c1d.css", "body{margin:0}");
  write_file(root / "docs/index.html", "<p>docs</p>");
  write_file(root / "docs/guide.txt", "the guide");
  write_file(root / "a b/c%d.json", "{}");
  write_file(root / ".git/config", std::string{secret_marker} + " dotfile");
  write_file(root / ".env", std::string{secret_marker} + " dotfile");
  write_file(base / "outside/secret.txt",
             std::string{secret_marker} + " outside the root");
  write_file(base / "outside/index.html",
             std::string{secret_marker} + " outside index");
  std::error_code ec;
  fs::create_symlink(base / "outside", root / "out", ec);
  fs::create_symlink(base / "outside/secret.txt", root / "secret.txt", ec);
  // A .gz that leads outside: must not replace the file's body either.
  fs::create_symlink(base / "outside/secret.txt", root / "docs/guide.txt.gz",
                     ec);
  fs::create_symlink(root / "app.js", root / "alias.js", ec);
}

void check_response(const ds::http::request& req, const ds::http::response& res,
                    bool static_route) {
  switch (res.status) {
    case 200:
    case 301:
    case 400:
    case 401:
    case 404:
    case 405:
    case 426:
      break;
    default:
      fail("unexpected status", std::to_string(res.status) + " " + req.path);
  }
  if (res.content_type == "application/json" &&
      nlohmann::json::parse(res.body, nullptr, false).is_discarded()) {
    fail("a JSON body does not parse", res.body);
  }
  if (static_route && res.status == 200) {
    // Error bodies quote the path, which may hold anything: only a file's
    // body is checked for the marker.
    if (res.body.find(secret_marker) != std::string::npos) {
      fail("served a file it must not", req.path);
    }
    // Which mount answered: the longest prefix, as the router picks it.
    std::string_view rest = req.path;
    rest.remove_prefix(rest.starts_with("/docs/") ? 6 : 1);
    auto rel = ds::http::safe_relative_path(rest);
    if (!rel) {
      fail("served a path safe_relative_path() refuses", req.path);
    }
    for (const auto& part : *rel) {
      auto s = part.string();
      if (s.empty() || s.front() == '.' || s == "/") {
        fail("served a path with a bad component", req.path);
      }
    }
  }
}

std::string to_std(beast::string_view sv) {
  return std::string{sv.data(), sv.size()};
}

void answer(const bhttp::request<bhttp::string_body>& msg) {
  // As session::answer() builds it.
  ds::http::request req;
  req.method = to_std(msg.method_string());
  req.target = to_std(msg.target());
  auto [path, query] = ds::http::split_target(req.target);
  req.path = std::string{path};
  req.query = std::string{query};
  req.remote_address = "127.0.0.1";
  for (const auto& field : msg) {
    auto name = to_std(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return static_cast<char>(std::tolower(c));
    });
    req.headers.emplace_back(std::move(name), to_std(field.value()));
  }
  req.body = msg.body();
  if (req.body.size() > request_limit) {
    fail("a body over the parser's limit");
  }
  auto label = fx->routes.metric_label(req.path);
  if (fx->labels.count(std::string{label}) == 0) {
    fail("a metric label outside metric_labels()", std::string{label});
  }
  if (ds::http::percent_decode(ds::http::percent_encode(req.target)) !=
      req.target) {
    fail("percent-encoding does not round-trip", req.target);
  }
  if (const auto* ws = fx->routes.find_websocket(req.path);
      ws != nullptr && beast::websocket::is_upgrade(msg)) {
    auto up = (*ws)(req);
    if (up.refuse) {
      check_response(req, *up.refuse, false);
    }
    return;
  }
  ds::http::accepts_gzip(req.header("accept-encoding").value_or(""));
  bool static_route = label != "other" && label.back() == '/';
  check_response(req, fx->routes.dispatch(req), static_route);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The router logs a handler's exception; nothing else should log.
  spdlog::set_level(spdlog::level::off);
  char tmpl[] = "/dev/shm/http_request_fuzz.XXXXXX";
  char fallback[] = "/tmp/http_request_fuzz.XXXXXX";
  char* dir = ::mkdtemp(tmpl);
  if (dir == nullptr && (dir = ::mkdtemp(fallback)) == nullptr) {
    fail("mkdtemp failed");
  }
  fx = new fixture{dir, {}, {}};
  build_tree(fx->base);
  build_routes(*fx);
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(fx->base, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view rest{reinterpret_cast<const char*>(data), size};
  // Pipelined requests on one connection: each parser takes what it needs,
  // the next one starts where it stopped. The bytes arrive in two reads
  // (the first half, then the rest), so the parser also resumes after
  // need_more, as it does under async_read; it is only ever called again
  // once more bytes have arrived (Beast's contract).
  std::size_t arrived = size / 2;
  for (int n = 0; n < 8 && !rest.empty(); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(request_limit);
    parser.body_limit(request_limit);
    parser.eager(true);
    beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done()) {
      auto avail = std::min(rest.size(), arrived);
      auto got =
        parser.put(boost::asio::buffer(rest.data() + used, avail - used), ec);
      used += got;
      if (used > avail) {
        fail("the parser consumed more than it was given");
      }
      if (ec && ec != bhttp::error::need_more) {
        return 0; // 400 or 413, the connection closes
      }
      if (!ec && got > 0 && used < avail) {
        continue;
      }
      if (avail < rest.size()) {
        arrived = size; // the second read
        continue;
      }
      // Nothing more arrives: the client closed mid-request (or at the
      // end of a message delimited by the close). No answer then.
      ec = {};
      parser.put_eof(ec);
      if (ec || !parser.is_done()) {
        return 0;
      }
    }
    auto msg = parser.release();
    answer(msg);
    if (!msg.keep_alive()) {
      return 0;
    }
    rest.remove_prefix(used);
    arrived -= std::min(arrived, used);
  }
  return 0;
}

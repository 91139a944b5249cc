#include "app/ui_routes.hpp"

#include <charconv>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>

#include "app/recent_dlq.hpp"
#include "app/stats_sampler.hpp"
#include "diag/log.hpp"
#include "runtime/auth/errc.hpp"
#include "runtime/auth/verifier.hpp"

#ifndef DS_UI_DIR
#define DS_UI_DIR ""
#endif

namespace ds::app {

namespace {

namespace fs = std::filesystem;

// Who a request's token says the caller is; nullopt tenant = sees all.
struct caller {
  std::optional<std::string> tenant;
  bool admin = false;
};

std::variant<caller, http::response> authorize(const http::request& req,
                                               const ui_sources& src) {
  if (!src.keys) {
    return caller{std::nullopt, true};
  }
  auto id =
    src.keys->identify(req.header("authorization"), req.query_param("token"));
  if (!id) {
    return http::response::bearer_refused(
      auth::to_string(auth::to_errc(id.error())));
  }
  if (id->admin) {
    return caller{std::nullopt, true};
  }
  return caller{id->tenant, false};
}

// A non-negative integer query parameter, `fallback` when absent, or the
// 400 that names it.
std::variant<int64_t, http::response> integer_param(const http::request& req,
                                                    std::string_view name,
                                                    int64_t fallback) {
  auto text = req.query_param(name);
  if (!text) {
    return fallback;
  }
  const std::string& digits = *text;
  const char* last = digits.data() + digits.size();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), last, v);
  if (ec != std::errc{} || end != last || v < 0) {
    return http::response::error(400, "bad_parameter",
                                 std::string{name} +
                                   " must be a non-negative integer");
  }
  return v;
}

http::response no_store(http::response res) {
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

constexpr std::string_view no_ui_page =
  "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
  "<title>DashStream</title></head><body><h1>DashStream</h1>"
  "<p>This daemon runs without its browser UI: no built UI was found at "
  "<code>%DIR%</code>. Build it with <code>scripts/ui.sh build</code>, or set "
  "<code>http.ui_dir</code>.</p><p>Everything else works: "
  "<a href=\"/health\">/health</a>, <a href=\"/metrics\">/metrics</a>, "
  "<a href=\"/api/stats\">/api/stats</a>, and live events on "
  "<code>/ws</code>.</p></body></html>";

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

caf::error add_static(http::router& routes, const fs::path& dir) {
  std::error_code ec;
  if (!dir.empty() && fs::is_regular_file(dir / "index.html", ec)) {
    diag::log_event(spdlog::level::info, "app",
                    {{"event", "ui_serving"}, {"dir", dir.string()}});
    return routes.serve_directory("/", dir);
  }
  diag::log_event(spdlog::level::warn, "app",
                  {{"event", "ui_missing"}, {"dir", dir.string()}});
  std::string page{no_ui_page};
  page.replace(page.find("%DIR%"), 5,
               html_escape(dir.empty() ? "(none)" : dir.string()));
  return routes.get("/", [page = std::move(page)](const http::request&) {
    http::response res;
    res.content_type = "text/html; charset=utf-8";
    res.body = page;
    return no_store(std::move(res));
  });
}

} // namespace

fs::path ui_dir_of(const std::string& configured) {
  if (!configured.empty()) {
    return configured;
  }
  // An installed binary (the package, the image) finds the UI installed
  // beside it, in <prefix>/share/dashstream/ui, wherever it was built.
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share/dashstream/ui";
    if (fs::exists(installed / "index.html", ec)) {
      return installed;
    }
  }
  return fs::path{DS_UI_DIR};
}

caf::error add_ui_routes(http::router& routes, const ui_sources& src) {
  if (auto err = add_static(routes, src.ui_dir)) {
    return err;
  }
  if (auto err = routes.get("/api/stats", [src](const http::request& req) {
        auto since = integer_param(req, "since", 0);
        if (auto* bad = std::get_if<http::response>(&since)) {
          return std::move(*bad);
        }
        return no_store(http::response::json(
          200, src.stats->json(std::get<int64_t>(since), src.health())));
      })) {
    return err;
  }
  if (auto err = routes.get("/api/dlq", [src](const http::request& req) {
        auto who = authorize(req, src);
        if (auto* refused = std::get_if<http::response>(&who)) {
          return std::move(*refused);
        }
        auto limit = integer_param(req, "limit", 100);
        if (auto* bad = std::get_if<http::response>(&limit)) {
          return std::move(*bad);
        }
        auto n = static_cast<std::size_t>(std::get<int64_t>(limit));
        return no_store(http::response::json(
          200, src.dlq->json(n, std::get<caller>(who).tenant)));
      })) {
    return err;
  }
  return routes.get("/api/session", [src](const http::request& req) {
    auto who = authorize(req, src);
    if (auto* refused = std::get_if<http::response>(&who)) {
      return std::move(*refused);
    }
    const auto& c = std::get<caller>(who);
    nlohmann::json body{
      {"auth", src.keys ? "jwt" : "none"},
      {"tenant", c.tenant ? nlohmann::json(*c.tenant) : nlohmann::json()},
      {"admin", c.admin}};
    return no_store(http::response::json(200, body.dump()));
  });
}

} // namespace ds::app

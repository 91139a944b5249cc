#include "runtime/http/router.hpp"

#include <exception>

#include <nlohmann/json.hpp>

#include "diag/log.hpp"
#include "runtime/http/errc.hpp"
#include "runtime/http/static_files.hpp"

namespace ds::http {

namespace {

constexpr std::string_view other_label = "other";

bool is_get_or_head(const request& req) {
  return req.method == "GET" || req.method == "HEAD";
}

response method_not_allowed(const request& req, bool post = false) {
  auto res = response::error(405, "method_not_allowed",
                             req.method + " is not allowed on " + req.path);
  res.headers.emplace_back("Allow", post ? "POST" : "GET, HEAD");
  return res;
}

void log_handler_failure(const request& req, std::string_view what) {
  diag::log_event(
    spdlog::level::err, "http",
    {{"event", "handler_failed"}, {"path", req.path}, {"what", what}});
}

} // namespace

caf::error router::get(std::string path, handler h) {
  return add(std::move(path), std::move(h), false);
}

caf::error router::post(std::string path, handler h) {
  return add(std::move(path), std::move(h), true);
}

caf::error router::websocket(std::string path, ws_handler h) {
  if (!h) {
    return make_error(errc::invalid_route,
                      "WebSocket route without handler: " + path);
  }
  // A plain GET (no upgrade) on a WebSocket path.
  auto plain = [](const request&) {
    auto res = response::error(426, "upgrade_required",
                               "this path speaks WebSocket only");
    res.headers.emplace_back("Upgrade", "websocket");
    return res;
  };
  if (auto err = add(std::move(path), plain, false)) {
    return err;
  }
  exact_.back().ws = std::move(h);
  return caf::none;
}

const ws_handler* router::find_websocket(std::string_view path) const {
  auto r = find_exact(path);
  return r != nullptr && r->ws ? &r->ws : nullptr;
}

caf::error router::add(std::string path, handler h, bool post) {
  if (path.empty() || path.front() != '/' ||
      path.find('?') != std::string::npos) {
    return make_error(errc::invalid_route,
                      "route path must start with '/' and have no query: " +
                        path);
  }
  if (find_exact(path) != nullptr || !h) {
    return make_error(errc::invalid_route,
                      "route registered twice or without handler: " + path);
  }
  exact_.push_back({std::move(path), std::move(h), post, {}});
  return caf::none;
}

caf::error router::serve_directory(std::string prefix,
                                   const std::filesystem::path& root) {
  if (prefix.empty() || prefix.front() != '/' || prefix.back() != '/') {
    return make_error(errc::invalid_route,
                      "static prefix must start and end with '/': " + prefix);
  }
  for (const auto& d : directories_) {
    if (d.prefix == prefix) {
      return make_error(errc::invalid_route,
                        "static prefix registered twice: " + prefix);
    }
  }
  std::error_code ec;
  auto canonical = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec)) {
    return make_error(errc::invalid_config,
                      "static root is not a directory: " + root.string());
  }
  directories_.push_back({std::move(prefix), std::move(canonical)});
  return caf::none;
}

const router::exact_route* router::find_exact(std::string_view path) const {
  for (const auto& r : exact_) {
    if (r.path == path) {
      return &r;
    }
  }
  return nullptr;
}

const router::directory_route*
router::find_directory(std::string_view path) const {
  const directory_route* best = nullptr;
  for (const auto& d : directories_) {
    std::string_view prefix = d.prefix;
    bool bare =
      path.size() + 1 == prefix.size() && prefix.substr(0, path.size()) == path;
    if ((path.starts_with(prefix) || bare) &&
        (best == nullptr || best->prefix.size() < prefix.size())) {
      best = &d;
    }
  }
  return best;
}

response router::serve_file(const directory_route& dir,
                            const request& req) const {
  if (req.path.size() < dir.prefix.size()) {
    // "/ui" for prefix "/ui/": relative links in index.html need the slash.
    response res;
    res.status = 301;
    res.content_type = "text/plain; charset=utf-8";
    res.headers.emplace_back("Location", dir.prefix);
    return res;
  }
  auto rest = std::string_view{req.path}.substr(dir.prefix.size());
  auto file = load_static_file(
    dir.root, rest, accepts_gzip(req.header("accept-encoding").value_or("")));
  if (file) {
    response res;
    res.content_type = std::move(file->content_type);
    res.body = std::move(file->body);
    // Hashed assets never change under their name; anything else (the
    // index that names them) is revalidated so a new build shows at once.
    res.headers.emplace_back(
      "Cache-Control",
      file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
    res.headers.emplace_back("Vary", "Accept-Encoding");
    if (!file->content_encoding.empty()) {
      res.headers.emplace_back("Content-Encoding", file->content_encoding);
    }
    return res;
  }
  switch (to_errc(file.error())) {
    case errc::unsafe_path:
      return response::error(400, "bad_path",
                             "path rejected: " +
                               file.error().context().get_as<std::string>(0));
    case errc::file_not_found:
      return response::error(404, "not_found", "no such file: " + req.path);
    default:
      return response::error(500, "file_unreadable", "cannot read " + req.path);
  }
}

response router::dispatch(const request& req) const {
  if (auto r = find_exact(req.path)) {
    if (r->post ? req.method != "POST" : !is_get_or_head(req)) {
      return method_not_allowed(req, r->post);
    }
    try {
      return r->fn(req);
    } catch (const std::exception& e) {
      log_handler_failure(req, e.what());
    } catch (...) {
      log_handler_failure(req, "unknown exception");
    }
    return response::error(500, "internal_error",
                           "the handler for " + req.path + " failed");
  }
  if (auto d = find_directory(req.path)) {
    if (!is_get_or_head(req)) {
      return method_not_allowed(req);
    }
    try {
      return serve_file(*d, req);
    } catch (const std::exception& e) { // std::bad_alloc, filesystem_error
      log_handler_failure(req, e.what());
      return response::error(500, "internal_error", "cannot serve file");
    }
  }
  return response::error(404, "not_found", "no route for " + req.path);
}

std::string_view router::metric_label(std::string_view path) const {
  if (auto r = find_exact(path)) {
    return r->path;
  }
  if (auto d = find_directory(path)) {
    return d->prefix;
  }
  return other_label;
}

std::vector<std::string> router::metric_labels() const {
  std::vector<std::string> out;
  for (const auto& r : exact_) {
    out.push_back(r.path);
  }
  for (const auto& d : directories_) {
    out.push_back(d.prefix);
  }
  out.emplace_back(other_label);
  return out;
}

} // namespace ds::http

#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "runtime/http/request.hpp"
#include "runtime/http/response.hpp"
#include "runtime/http/websocket.hpp"

namespace ds::http {

/// A route's handler. It runs on the server's io thread, so it must be
/// quick and must not block: a handler that needs actor state reads a
/// snapshot the actors publish (e.g. a std::shared_ptr<const T> swapped
/// under a mutex or std::atomic), never asks an actor and waits. The one
/// exception is a post() route for a rare operator action, which may wait
/// for an actor with a short, explicit bound.
/// Exceptions are caught and answered with 500.
using handler = std::function<response(const request&)>;

/// The route table: exact paths answered by handlers, and directories
/// served under a path prefix. Built before server::start() and then only
/// read, from any io thread.
///
/// Dispatch: an exact route wins; then the longest static prefix; else 404.
/// get() routes answer GET and HEAD (HEAD gets GET's headers without the
/// body), post() routes answer POST only; any other method on a known path
/// gets 405 with the `Allow` header of that route.
class router {
public:
  /// Answers GET and HEAD on exactly `path` (no query, percent-encoded as
  /// sent, starting with '/'). errc::invalid_route if taken or malformed.
  caf::error get(std::string path, handler h);

  /// Answers POST on exactly `path`: operator actions (admin routes), which
  /// change state and so are never reachable by a GET. Parameters travel
  /// in the query string.
  caf::error post(std::string path, handler h);
  /// WebSocket upgrades (GET with `Upgrade: websocket`) on exactly `path`
  /// go to `h`; a plain GET there is answered 426.
  caf::error websocket(std::string path, ws_handler h);
  /// The WebSocket handler of `path`, or nullptr.
  const ws_handler* find_websocket(std::string_view path) const;

  /// Serves the files under `root` for paths starting with `prefix` (which
  /// starts and ends with '/'; "/" serves the whole tree). A request for
  /// the prefix, or any directory below it, gets its index.html; the
  /// prefix without its trailing '/' is redirected to it. Unsafe paths get
  /// 400 (see safe_relative_path()). errc::invalid_route if the prefix is
  /// malformed or taken, errc::invalid_config if root is not a directory.
  caf::error serve_directory(std::string prefix,
                             const std::filesystem::path& root);

  /// The response for `req` (a GET's response for HEAD; the server strips
  /// the body). Never throws.
  response dispatch(const request& req) const;

  /// The `path` label for dashstream_http_requests_total: the route or
  /// prefix that matched `path`, or "other". Bounded by the route table, so
  /// a scanner probing random paths cannot grow the label set.
  std::string_view metric_label(std::string_view path) const;

  /// Every label metric_label() can return.
  std::vector<std::string> metric_labels() const;

private:
  struct exact_route {
    std::string path;
    handler fn;
    bool post = false;
    ws_handler ws; // set: a WebSocket route
  };

  caf::error add(std::string path, handler h, bool post);
  struct directory_route {
    std::string prefix;
    std::filesystem::path root; // canonical
  };

  const exact_route* find_exact(std::string_view path) const;
  const directory_route* find_directory(std::string_view path) const;
  response serve_file(const directory_route& dir, const request& req) const;

  std::vector<exact_route> exact_;
  std::vector<directory_route> directories_;
};

} // namespace ds::http

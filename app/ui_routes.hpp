#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <caf/error.hpp>

#include "runtime/http/router.hpp"

namespace ds::auth {
class key_store;
} // namespace ds::auth

namespace ds::app {

class recent_dlq;
class stats_sampler;

/// What the browser UI's routes read; all of it is safe to use from the
/// HTTP io threads.
struct ui_sources {
  std::shared_ptr<const stats_sampler> stats;
  std::shared_ptr<const recent_dlq> dlq;
  /// null: auth.mode = none (every caller sees everything).
  std::shared_ptr<auth::key_store> keys;
  /// {"status": ..., "reason": ...} now, as a JSON object's text.
  std::function<std::string()> health;
  /// The built UI (its index.html at the top); missing = not built.
  std::filesystem::path ui_dir;
};

/// The UI's routes: the static files at / (or, without a built UI, a page
/// at / that says so), GET /api/stats, GET /api/dlq and GET /api/session.
/// /api/dlq and /api/session take the same JWT as /ws (Authorization:
/// Bearer, or ?token=): a tenant sees only its DLQ records, an admin all.
caf::error add_ui_routes(http::router& routes, const ui_sources& src);

/// The UI directory a configuration names: http.ui_dir, else the one
/// installed beside the binary (share/dashstream/ui), else this build's.
std::filesystem::path ui_dir_of(const std::string& configured);

} // namespace ds::app

#include "diag/errc.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace ds::diag {

namespace {

// Filled during static initialisation (registered<E>), read afterwards; the
// lock is for a category first used after main() started, which the
// standard allows an implementation to initialise late.
struct category_table {
  std::mutex mtx;
  std::vector<category_info> rows;
};

category_table& table() {
  static category_table instance;
  return instance;
}

std::optional<category_info> find(caf::atom_value category) {
  auto& t = table();
  std::lock_guard<std::mutex> guard{t.mtx};
  auto i = std::find_if(t.rows.begin(), t.rows.end(),
                        [&](const auto& r) { return r.category == category; });
  if (i == t.rows.end()) {
    return std::nullopt;
  }
  return *i;
}

} // namespace

bool add_category(const category_info& info) {
  auto& t = table();
  std::lock_guard<std::mutex> guard{t.mtx};
  auto same = [&](const auto& r) { return r.category == info.category; };
  if (std::none_of(t.rows.begin(), t.rows.end(), same)) {
    t.rows.push_back(info);
  }
  return true;
}

std::string error_detail(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.empty()) {
    return {};
  }
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
    return ctx.get_as<std::string>(0);
  }
  return caf::to_string(ctx);
}

std::string describe(const caf::error& err) {
  if (!err) {
    return "ok";
  }
  auto info = find(err.category());
  if (!info) {
    return caf::to_string(err);
  }
  std::string result{info->name};
  result += ": ";
  result += info->label(err.code());
  auto detail = error_detail(err);
  if (detail.find('\n') != std::string::npos) {
    // One problem per line (a configuration's): each on its own, indented.
    result += ":\n  ";
    for (auto c : detail) {
      result += c;
      if (c == '\n') {
        result += "  ";
      }
    }
  } else if (!detail.empty()) {
    result += ": ";
    result += detail;
  }
  return result;
}

void register_error_categories(caf::actor_system_config& cfg) {
  std::vector<category_info> rows;
  {
    auto& t = table();
    std::lock_guard<std::mutex> guard{t.mtx};
    rows = t.rows;
  }
  for (const auto& row : rows) {
    cfg.add_error_category(
      row.category,
      [](uint8_t code, caf::atom_value category, const caf::message& context) {
        return describe(caf::error{code, category, context});
      });
  }
}

} // namespace ds::diag

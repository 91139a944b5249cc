#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/exit_code.hpp"
#include "diag/errc.hpp"
#include "runtime/dlq_store/dlq_reader.hpp"
#include "runtime/http/ws_client.hpp"

namespace ds::app {

namespace {

struct tail_options {
  std::string host = "127.0.0.1";
  uint16_t port = 3002;
  std::string token;
  std::string tenant;
  std::string thread;
  std::string from = "latest";
  bool json = false;
  uint64_t count = 0;
  int idle_secs = 60;
};

// Follows /ws: prints records, resumes by itself after a disconnect.
class tailer {
public:
  explicit tailer(const tail_options& o) : o_(o) {}

  int run() {
    bool first = true;
    int backoff_ms = 200;
    for (;;) {
      std::vector<std::pair<std::string, std::string>> headers;
      if (!o_.token.empty()) {
        headers.emplace_back("Authorization", "Bearer " + o_.token);
      }
      auto c = http::ws_client::connect(o_.host, o_.port, "/ws", headers,
                                        std::chrono::seconds{5});
      if (!c) {
        auto text = diag::describe(c.error());
        if (text.find("HTTP 401") != std::string::npos) {
          std::cerr << "error: " << text << '\n';
          return exit_failure; // a refused token does not get better
        }
        std::cerr << "tail: " << text << "; retrying\n";
        std::this_thread::sleep_for(std::chrono::milliseconds{backoff_ms});
        backoff_ms = std::min(backoff_ms * 2, 5000);
        continue;
      }
      backoff_ms = 200;
      if (auto err = resume(**c, first)) {
        std::cerr << "tail: " << diag::describe(err) << "; reconnecting\n";
        continue;
      }
      first = false;
      if (follow(**c)) {
        return exit_ok;
      }
    }
  }

private:
  caf::error resume(http::ws_client& c, bool first) {
    nlohmann::json msg{{"type", "resume"}, {"mode", "partition"}};
    if (first && o_.from == "latest") {
      return {}; // live from now
    }
    if (first) {
      msg["from"] = "earliest";
    } else {
      auto offsets = nlohmann::json::object();
      for (const auto& [p, o] : cursor_) {
        offsets[std::to_string(p)] = std::to_string(o);
      }
      msg["lastOffsetsByPartition"] = offsets;
    }
    return c.send_text(msg.dump());
  }

  // Reads until the count is reached (true) or the connection ends.
  bool follow(http::ws_client& c) {
    std::optional<std::pair<int32_t, int64_t>> pending;
    for (;;) {
      auto m = c.read(std::chrono::seconds{o_.idle_secs});
      if (!m) {
        std::cerr << "tail: " << diag::describe(m.error())
                  << "; resuming from the last cursor\n";
        return false;
      }
      if (m->binary) {
        if (pending) {
          cursor_[pending->first] = pending->second;
          if (print(pending->first, pending->second, m->payload) &&
              o_.count > 0 && ++printed_ >= o_.count) {
            return true;
          }
        }
        pending.reset();
        continue;
      }
      auto j = nlohmann::json::parse(m->payload, nullptr, false);
      if (!j.is_object()) {
        continue;
      }
      auto type = j.value("type", "");
      if (type == "cursor") {
        pending = {j.value("partition", 0),
                   std::stoll(j.value("offset", std::string{"0"}))};
      } else if (type == "replay_complete" && j.value("capped", false)) {
        // More to replay: ask for the next page.
        if (auto err = resume(c, false)) {
          return false;
        }
      } else if (type == "gap" || type == "cursor_stale" ||
                 type == "disconnect" || type == "error") {
        if (o_.json) {
          std::cout << j.dump() << '\n';
        } else {
          std::cerr << "tail: " << type << ": " << j.value("message", "")
                    << '\n';
        }
      }
    }
  }

  // Prints one record if it passes the filters; true if printed.
  bool print(int32_t partition, int64_t offset, const std::string& value) {
    auto d = dlq_store::describe_payload(value);
    auto tenant = d.value("tenant_id", "");
    auto thread = d.value("thread_id", "");
    if ((!o_.tenant.empty() && tenant != o_.tenant) ||
        (!o_.thread.empty() && thread != o_.thread)) {
      return false;
    }
    if (o_.json) {
      d["partition"] = partition;
      d["offset"] = std::to_string(offset);
      std::cout << d.dump() << '\n';
    } else {
      std::cout << partition << '/' << offset << ' ' << d.value("type", "?")
                << " tenant=" << tenant << " thread=" << thread
                << " seq=" << d.value("sequence", "-") << '\n';
    }
    std::cout.flush();
    return true;
  }

  const tail_options& o_;
  std::map<int32_t, int64_t> cursor_;
  uint64_t printed_ = 0;
};

} // namespace

void add_tail_command(CLI::App& root, command_context& ctx) {
  auto opts = std::make_shared<tail_options>();
  auto* cmd = root.add_subcommand(
    "tail", "Follow a running daemon's live records over its WebSocket "
            "(/ws), resuming by itself after a disconnect");
  cmd->add_option("--host", opts->host, "The daemon's HTTP address")
    ->capture_default_str();
  cmd->add_option("--port", opts->port, "The daemon's HTTP port")
    ->capture_default_str();
  cmd
    ->add_option("--token", opts->token,
                 "JWT for the daemon's [auth] (sent as Authorization: "
                 "Bearer; it decides which tenant you see)")
    ->envname("DASHSTREAM_TOKEN");
  cmd->add_option("--tenant", opts->tenant,
                  "Print only this tenant's records (with auth.mode = none "
                  "the daemon sends every tenant)");
  cmd->add_option("--thread", opts->thread, "Print only this thread's records");
  cmd
    ->add_option("--from", opts->from,
                 "latest: from now on; earliest: first everything the "
                 "daemon can replay")
    ->check(CLI::IsMember({"latest", "earliest"}))
    ->capture_default_str();
  cmd->add_flag("--json", opts->json, "One JSON object per line");
  cmd
    ->add_option("--count", opts->count,
                 "Stop after this many records (0: follow forever)")
    ->capture_default_str();
  cmd
    ->add_option("--idle-timeout", opts->idle_secs,
                 "Seconds without a message before reconnecting")
    ->check(CLI::Range(1, 3600))
    ->capture_default_str();
  cmd->callback([opts, &ctx] {
    tailer t{*opts};
    ctx.exit_status = t.run();
  });
}

} // namespace ds::app

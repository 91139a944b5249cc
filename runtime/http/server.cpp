#include "runtime/http/server.hpp"

#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "diag/log.hpp"
#include "runtime/http/errc.hpp"
#include "runtime/http/session.hpp"

namespace ds::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

caf::error validate(const server_config& cfg) {
  auto bad = [](const char* what) {
    return make_error(errc::invalid_config, what);
  };
  if (cfg.max_connections_per_ip == 0) {
    return bad("max_connections_per_ip must be at least 1");
  }
  if (cfg.max_request_bytes < 1024) {
    return bad("max_request_bytes must be at least 1024");
  }
  if (cfg.read_timeout.count() <= 0 || cfg.write_timeout.count() <= 0) {
    return bad("read_timeout and write_timeout must be positive");
  }
  if (cfg.io_threads == 0 || cfg.io_threads > 64) {
    return bad("io_threads must be between 1 and 64");
  }
  return caf::none;
}

caf::expected<net::ip::address> parse_host(const std::string& host) {
  if (host == "localhost") {
    return net::ip::address_v4::loopback();
  }
  boost::system::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) {
    return make_error(errc::invalid_host,
                      "http host '" + host +
                        "' is not an IP address (use e.g. 127.0.0.1, "
                        "0.0.0.0 or ::1)");
  }
  return addr;
}

} // namespace

struct server::impl {
  impl(server_config cfg, router routes, const metrics::registry& reg)
    : threads_wanted(cfg.io_threads),
      state(
        std::make_shared<server_state>(std::move(cfg), std::move(routes), reg)),
      ioc(static_cast<int>(threads_wanted)), work(net::make_work_guard(ioc)),
      acceptor(net::make_strand(ioc)), retry_timer(acceptor.get_executor()) {}

  void do_accept() {
    acceptor.async_accept(
      net::make_strand(ioc),
      [this](boost::system::error_code ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
      });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || state->stopping) {
      return;
    }
    if (ec) {
      // Typically EMFILE: retrying at once would spin on the same error.
      diag::log_event(spdlog::level::warn, "http",
                      {{"event", "accept_failed"}, {"error", ec.message()}});
      retry_timer.expires_after(std::chrono::milliseconds{100});
      retry_timer.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && !state->stopping) {
          do_accept();
        }
      });
      return;
    }
    boost::system::error_code peer_ec;
    auto peer = socket.remote_endpoint(peer_ec);
    if (!peer_ec) {
      auto ip = peer.address().to_string();
      auto slot = state->limiter.try_acquire(ip);
      std::make_shared<session>(std::move(socket), state, std::move(ip),
                                std::move(slot))
        ->start();
    } // else the peer is already gone: drop the socket
    do_accept();
  }

  void run_thread() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        diag::log_event(spdlog::level::err, "http",
                        {{"event", "io_thread_exception"}, {"what", e.what()}});
      }
    }
  }

  uint32_t threads_wanted;
  std::shared_ptr<server_state> state;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex stop_mtx;
  bool stopped = false;
};

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

server::~server() {
  stop();
}

uint16_t server::port() const noexcept {
  return impl_->port;
}

caf::expected<std::unique_ptr<server>>
server::start(server_config cfg, router routes,
              const metrics::registry& registry) {
  if (auto err = validate(cfg)) {
    return err;
  }
  auto addr = parse_host(cfg.host);
  if (!addr) {
    return std::move(addr.error());
  }
  tcp::endpoint endpoint{*addr, cfg.port};
  auto where = cfg.host + ":" + std::to_string(cfg.port);
  try {
    auto p =
      std::make_unique<impl>(std::move(cfg), std::move(routes), registry);
    boost::system::error_code ec;
    auto& acc = p->acceptor;
    acc.open(endpoint.protocol(), ec);
    if (!ec) {
      // Lets a restarted daemon bind while old connections sit in
      // TIME_WAIT; on Linux it does not allow two listeners on one port.
      acc.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
      acc.bind(endpoint, ec);
    }
    if (!ec) {
      acc.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec == net::error::address_in_use) {
      return make_error(errc::address_in_use, "cannot listen on " + where +
                                                ": address already in use");
    }
    if (ec) {
      return make_error(errc::bind_failed,
                        "cannot listen on " + where + ": " + ec.message());
    }
    p->port = acc.local_endpoint().port();
    p->do_accept();
    try {
      for (uint32_t i = 0; i < p->threads_wanted; ++i) {
        p->threads.emplace_back([raw = p.get()] { raw->run_thread(); });
      }
    } catch (...) {
      // Joinable threads must not be destroyed: stop the ones that started.
      p->ioc.stop();
      for (auto& t : p->threads) {
        t.join();
      }
      throw;
    }
    diag::log_event(spdlog::level::info, "http",
                    {{"event", "listening"},
                     {"address", addr->to_string()},
                     {"port", p->port}});
    return std::unique_ptr<server>{new server(std::move(p))};
  } catch (const std::exception& e) { // thread creation, allocation
    return make_error(errc::bind_failed,
                      "cannot start HTTP server on " + where + ": " + e.what());
  }
}

void server::stop() {
  std::lock_guard<std::mutex> guard{impl_->stop_mtx};
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  auto& st = *impl_->state;
  st.stopping = true;
  net::post(impl_->acceptor.get_executor(), [p = impl_.get()] {
    boost::system::error_code ec;
    p->acceptor.close(ec);
    p->retry_timer.cancel();
  });
  std::vector<std::shared_ptr<connection_base>> open;
  {
    std::lock_guard<std::mutex> sessions_guard{st.sessions_mtx};
    for (auto& [id, weak] : st.sessions) {
      if (auto s = weak.lock()) {
        open.push_back(std::move(s));
      }
    }
  }
  for (auto& s : open) {
    s->stop();
  }
  open.clear();
  impl_->work.reset();
  for (auto& t : impl_->threads) {
    t.join();
  }
  impl_->threads.clear();
  diag::log_event(spdlog::level::info, "http",
                  {{"event", "stopped"}, {"port", impl_->port}});
}

} // namespace ds::http

#include "runtime/http/ws_client.hpp"

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include "runtime/http/errc.hpp"

namespace ds::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

struct ws_client::impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buf;

  // Runs the io_context until `done` or the timeout; false on timeout.
  bool run(const bool& done, std::chrono::milliseconds timeout) {
    ioc.restart();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      ioc.run_one_for(deadline - std::chrono::steady_clock::now());
    }
    return done;
  }
};

ws_client::ws_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

ws_client::~ws_client() {
  beast::error_code ec;
  impl_->ws.next_layer().socket().close(ec);
}

caf::expected<std::unique_ptr<ws_client>> ws_client::connect(
  const std::string& host, uint16_t port, const std::string& target,
  const std::vector<std::pair<std::string, std::string>>& headers,
  std::chrono::milliseconds timeout) {
  auto p = std::make_unique<impl>();
  auto where = host + ":" + std::to_string(port) + target;
  beast::error_code ec;
  tcp::resolver resolver{p->ioc};
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) {
    return make_error(errc::request_failed,
                      "cannot resolve " + host + ": " + ec.message());
  }
  auto& stream = p->ws.next_layer();
  stream.expires_after(timeout);
  bool done = false;
  stream.async_connect(endpoints, [&](beast::error_code e, auto) {
    ec = e;
    done = true;
  });
  if (!p->run(done, timeout) || ec) {
    return make_error(errc::request_failed,
                      "cannot connect to " + where + ": " +
                        (ec ? ec.message() : std::string{"timed out"}));
  }
  p->ws.set_option(
    websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) {
        req.set(name, value);
      }
    }));
  websocket::response_type res;
  done = false;
  p->ws.async_handshake(res, host + ":" + std::to_string(port), target,
                        [&](beast::error_code e) {
                          ec = e;
                          done = true;
                        });
  if (!p->run(done, timeout) || ec) {
    auto status = res.result_int();
    return make_error(
      errc::request_failed,
      "WebSocket upgrade of " + where + " refused" +
        (status != 0 && status != 101
           ? ": HTTP " + std::to_string(status) + " " + res.body()
           : ": " + (ec ? ec.message() : std::string{"timed out"})));
  }
  stream.expires_never();
  return std::unique_ptr<ws_client>{new ws_client(std::move(p))};
}

caf::error ws_client::send_text(const std::string& text) {
  impl_->ws.text(true);
  beast::error_code ec;
  impl_->ws.write(net::buffer(text), ec);
  if (ec) {
    return make_error(errc::request_failed, "send: " + ec.message());
  }
  return {};
}

caf::expected<ws_client::message>
ws_client::read(std::chrono::milliseconds timeout) {
  auto& p = *impl_;
  p.buf.clear();
  beast::error_code ec;
  bool done = false;
  p.ws.async_read(p.buf, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!p.run(done, timeout)) {
    beast::error_code ignored;
    p.ws.next_layer().socket().close(ignored);
    p.run(done, std::chrono::seconds{1});
    return make_error(errc::request_failed, "no message within the timeout");
  }
  if (ec) {
    if (ec == websocket::error::closed) {
      const auto& why = p.ws.reason();
      return make_error(errc::request_failed,
                        "closed by the server: " + std::to_string(why.code) +
                          " " + std::string{why.reason.c_str()});
    }
    return make_error(errc::request_failed, "read: " + ec.message());
  }
  message m;
  m.binary = p.ws.got_binary();
  m.payload = beast::buffers_to_string(p.buf.data());
  return m;
}

} // namespace ds::http

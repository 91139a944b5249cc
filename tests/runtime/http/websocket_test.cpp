#include "runtime/http/websocket.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include "runtime/http/server.hpp"
#include "runtime/metrics/registry.hpp"

using namespace ds::http;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;

namespace {

// A client frame as RFC 6455 §5.3 wants it: masked with `key`.
std::string client_frame(ws_opcode op, std::string_view payload,
                         bool fin = true, uint32_t key = 0x11223344) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(op));
  auto n = payload.size();
  if (n < 126) {
    out += static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) {
      out += static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xFF);
    }
  }
  char mask[4] = {static_cast<char>(key >> 24), static_cast<char>(key >> 16),
                  static_cast<char>(key >> 8), static_cast<char>(key)};
  out.append(mask, 4);
  for (std::size_t i = 0; i < n; ++i) {
    out += static_cast<char>(payload[i] ^ mask[i % 4]);
  }
  return out;
}

} // namespace

TEST_CASE("server frames: the three length forms, unmasked") {
  for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u}) {
    std::string payload(n, 'x');
    auto f = make_ws_frame(ws_opcode::binary, payload);
    CHECK(static_cast<uint8_t>((*f)[0]) == 0x82);
    CHECK((static_cast<uint8_t>((*f)[1]) & 0x80) == 0);
    std::size_t head = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    CHECK(f->size() == head + n);
  }
}

TEST_CASE("the parser reassembles fragments, passes control frames between "
          "them, and waits for whole frames") {
  ws_frame_parser p{1 << 20};
  std::string in = client_frame(ws_opcode::text, "hel", false) +
                   client_frame(ws_opcode::ping, "p") +
                   client_frame(ws_opcode::continuation, "lo", true);
  auto full = in;
  // Byte by byte: need_more until each frame is complete.
  std::string feed;
  std::vector<ws_frame_parser::event> got;
  for (char c : full) {
    feed += c;
    for (;;) {
      auto ev = p.next(feed);
      if (ev.what == ws_frame_parser::event::kind::need_more) {
        break;
      }
      got.push_back(std::move(ev));
    }
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0].op == ws_opcode::ping);
  CHECK(got[0].payload == "p");
  CHECK(got[1].op == ws_opcode::text);
  CHECK(got[1].payload == "hello");
  CHECK(feed.empty());
}

TEST_CASE("the parser refuses a message over the limit from its header, "
          "at the exact edge") {
  ws_frame_parser p{1000};
  std::string ok = client_frame(ws_opcode::text, std::string(1000, 'a'));
  auto ev = p.next(ok);
  CHECK(ev.what == ws_frame_parser::event::kind::message);
  // One byte over, and only the header has arrived.
  std::string over = client_frame(ws_opcode::text, std::string(1001, 'a'));
  over.resize(8);
  CHECK(p.next(over).what == ws_frame_parser::event::kind::too_large);
  // Fragments count together.
  ws_frame_parser q{1000};
  std::string parts =
    client_frame(ws_opcode::text, std::string(600, 'a'), false) +
    client_frame(ws_opcode::continuation, std::string(401, 'a'), true);
  CHECK(q.next(parts).what == ws_frame_parser::event::kind::too_large);
}

TEST_CASE("the parser rejects what a client may not send") {
  using kind = ws_frame_parser::event::kind;
  auto first = [](std::string in) {
    ws_frame_parser p{1 << 20};
    return p.next(in);
  };
  // Unmasked.
  std::string unmasked = *make_ws_frame(ws_opcode::text, "x");
  CHECK(first(unmasked).what == kind::protocol_error);
  // RSV1 (compression was never negotiated).
  auto rsv = client_frame(ws_opcode::text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  CHECK(first(rsv).what == kind::protocol_error);
  // A fragmented ping, a long ping, an unknown opcode, a stray
  // continuation, a new message inside a fragmented one.
  CHECK(first(client_frame(ws_opcode::ping, "x", false)).what ==
        kind::protocol_error);
  CHECK(first(client_frame(ws_opcode::ping, std::string(126, 'x'))).what ==
        kind::protocol_error);
  CHECK(first(client_frame(static_cast<ws_opcode>(3), "x")).what ==
        kind::protocol_error);
  CHECK(first(client_frame(ws_opcode::continuation, "x")).what ==
        kind::protocol_error);
  CHECK(first(client_frame(ws_opcode::text, "a", false) +
              client_frame(ws_opcode::text, "b"))
          .what == kind::protocol_error);
}

namespace {

// Echoes every text message back; records how the connection ended.
struct echo_listener : ws_listener {
  std::shared_ptr<ws_connection> conn;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<ws_close_reason> closed;
  std::size_t too_large_limit = 0;

  void on_text(std::string message) override {
    conn->send(make_ws_frame(ws_opcode::text, "echo:" + message));
  }
  void on_too_large(std::size_t limit) override {
    too_large_limit = limit;
    conn->send_and_close(make_ws_frame(ws_opcode::text, "too large"), 1009,
                         "message too big", false);
  }
  void on_closed(ws_close_reason why) override {
    std::lock_guard guard{mu};
    closed = why;
    cv.notify_all();
  }
  bool wait_closed(std::chrono::seconds limit) {
    std::unique_lock lk{mu};
    return cv.wait_for(lk, limit, [&] { return closed.has_value(); });
  }
};

struct ws_server {
  ds::metrics::registry registry;
  std::unique_ptr<server> srv;
  std::mutex mu;
  std::vector<std::shared_ptr<echo_listener>> listeners;

  explicit ws_server(server_config cfg = {}) {
    router r;
    REQUIRE_FALSE(r.websocket("/ws", [this](const request& req) {
      ws_upgrade up;
      if (req.query_param("token") == std::optional<std::string>{"bad"}) {
        up.refuse = response::error(401, "unauthorized", "bad token");
        return up;
      }
      up.attach = [this](std::shared_ptr<ws_connection> c) {
        auto l = std::make_shared<echo_listener>();
        l->conn = std::move(c);
        std::lock_guard guard{mu};
        listeners.push_back(l);
        return l;
      };
      return up;
    }));
    auto s = server::start(std::move(cfg), std::move(r), registry);
    REQUIRE(s);
    srv = std::move(*s);
  }

  std::shared_ptr<echo_listener> last() {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard guard{mu};
        if (!listeners.empty()) {
          return listeners.back();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    FAIL("no connection attached");
    return nullptr;
  }
};

struct client {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};

  void connect(uint16_t port, const std::string& target = "/ws") {
    tcp::resolver res{ioc};
    net::connect(ws.next_layer(),
                 res.resolve("127.0.0.1", std::to_string(port)));
    ws.handshake("127.0.0.1", target);
  }
  std::string read_text() {
    beast::flat_buffer buf;
    ws.read(buf);
    REQUIRE(ws.got_text());
    return beast::buffers_to_string(buf.data());
  }
};

} // namespace

TEST_CASE("a WebSocket client (Beast's) talks to a session through the "
          "upgrade: text both ways, pings answered, close echoed") {
  ws_server s;
  client c;
  c.connect(s.srv->port());
  c.ws.write(net::buffer(std::string{"hello"}));
  CHECK(c.read_text() == "echo:hello");
  c.ws.ping({});
  c.ws.write(net::buffer(std::string{"after ping"}));
  CHECK(c.read_text() == "echo:after ping");
  c.ws.close(websocket::close_code::normal);
  auto l = s.last();
  REQUIRE(l->wait_closed(std::chrono::seconds{5}));
  CHECK(*l->closed == ws_close_reason::client_closed);
}

TEST_CASE("queued frames leave in order, in gather writes, shared by every "
          "connection") {
  ws_server s;
  client a;
  client b;
  a.connect(s.srv->port());
  auto la = s.last();
  b.connect(s.srv->port());
  std::shared_ptr<echo_listener> lb;
  for (int i = 0; i < 200 && (lb = s.last()) == la; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  REQUIRE(lb != la);
  std::vector<ws_bytes> frames;
  frames.reserve(100);
  for (int i = 0; i < 100; ++i) {
    frames.push_back(make_ws_frame(ws_opcode::text, std::to_string(i)));
  }
  REQUIRE(la->conn->send(frames));
  REQUIRE(lb->conn->send(frames));
  for (int i = 0; i < 100; ++i) {
    CHECK(a.read_text() == std::to_string(i));
    CHECK(b.read_text() == std::to_string(i));
  }
}

TEST_CASE("a refused upgrade gets its status; a plain GET gets 426") {
  ws_server s;
  // Raw HTTP, so the response is read whatever it is.
  auto get = [&](const std::string& target, bool upgrade) {
    net::io_context ioc;
    tcp::socket sock{ioc};
    tcp::resolver res{ioc};
    net::connect(sock, res.resolve("127.0.0.1", std::to_string(s.srv->port())));
    beast::http::request<beast::http::empty_body> req{beast::http::verb::get,
                                                      target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    if (upgrade) {
      req.set(beast::http::field::connection, "Upgrade");
      req.set(beast::http::field::upgrade, "websocket");
      req.set(beast::http::field::sec_websocket_version, "13");
      req.set(beast::http::field::sec_websocket_key,
              "dGhlIHNhbXBsZSBub25jZQ==");
    }
    beast::http::write(sock, req);
    beast::flat_buffer buf;
    beast::http::response<beast::http::string_body> resp;
    beast::http::read(sock, buf, resp);
    return resp;
  };
  auto refused = get("/ws?token=bad", true);
  CHECK(refused.result_int() == 401);
  CHECK(refused.body().find("bad token") != std::string::npos);
  auto accepted = get("/ws", true);
  CHECK(accepted.result_int() == 101);
  CHECK(accepted[beast::http::field::sec_websocket_accept] ==
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); // RFC 6455 §1.3's example
  CHECK(get("/ws", false).result_int() == 426);
}

TEST_CASE("a message over the limit stops the reading and tells the listener, "
          "which closes") {
  server_config cfg;
  cfg.ws.max_message_bytes = 1000;
  ws_server s{cfg};
  client c;
  c.connect(s.srv->port());
  c.ws.write(net::buffer(std::string(1000, 'a')));
  CHECK(c.read_text().size() == 1005);
  c.ws.write(net::buffer(std::string(1001, 'a')));
  CHECK(c.read_text() == "too large");
  beast::flat_buffer buf;
  beast::error_code ec;
  c.ws.read(buf, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(c.ws.reason().code == websocket::close_code::too_big);
  auto l = s.last();
  REQUIRE(l->wait_closed(std::chrono::seconds{5}));
  CHECK(*l->closed == ws_close_reason::server_closed);
  CHECK(l->too_large_limit == 1000);
}

TEST_CASE("a client that never reads: send() refuses at the queue limit, and "
          "the send timeout closes the connection") {
  server_config cfg;
  cfg.ws.queue_max_items = 1000;
  cfg.ws.queue_max_bytes = 64u << 20;
  cfg.ws.send_timeout = std::chrono::milliseconds{500};
  ws_server s{cfg};
  client c;
  c.connect(s.srv->port());
  c.ws.next_layer().set_option(net::socket_base::receive_buffer_size{4096});
  auto l = s.last();
  auto big = make_ws_frame(ws_opcode::binary, std::string(64 << 10, 'x'));
  // Fill the socket buffers first; then the queue's item limit holds.
  std::size_t accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    if (!l->conn->send(big)) {
      break;
    }
    ++accepted;
  }
  CHECK(accepted >= 1);
  CHECK(accepted < 5000);
  CHECK(l->conn->queued().items <= 1000);
  REQUIRE(l->wait_closed(std::chrono::seconds{10}));
  CHECK(*l->closed == ws_close_reason::send_timeout);
  CHECK_FALSE(l->conn->send(big));
}

TEST_CASE("all clients' queues share one bound: a frame counts once however "
          "many queues hold it, and past the bound the client above its "
          "share is refused while the others are not") {
  server_config cfg;
  cfg.ws.queue_total_max_bytes = 4u << 20;
  cfg.ws.queue_max_bytes = 1u << 30; // not the limit that acts here
  cfg.ws.queue_max_items = 100'000;
  cfg.ws.send_timeout = std::chrono::seconds{30};
  ws_server s{cfg};
  client a;
  a.connect(s.srv->port());
  a.ws.next_layer().set_option(net::socket_base::receive_buffer_size{4096});
  auto la = s.last();
  client b;
  b.connect(s.srv->port());
  b.ws.next_layer().set_option(net::socket_base::receive_buffer_size{4096});
  std::shared_ptr<echo_listener> lb;
  for (int i = 0; i < 200 && (lb = s.last()) == la; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  REQUIRE(lb != la);
  // 2.5 MiB of frames to both (5 MiB counted per client, over the bound):
  // shared, they count once.
  std::vector<ws_bytes> shared;
  shared.reserve(40);
  for (int i = 0; i < 40; ++i) {
    shared.push_back(make_ws_frame(
      ws_opcode::binary, std::string(64 << 10, static_cast<char>('a' + i))));
  }
  CHECK(la->conn->send(shared));
  CHECK(lb->conn->send(shared));
  // b alone takes new frames (neither client reads) until the total passes
  // the bound; b is then above its share (half) and refused.
  std::size_t accepted = 0;
  for (int i = 0; i < 2000; ++i) {
    auto f = make_ws_frame(ws_opcode::binary, std::string(64 << 10, 'b'));
    if (!lb->conn->send(f)) {
      break;
    }
    ++accepted;
  }
  CHECK(accepted < 2000);
  CHECK(lb->conn->queued().bytes > (2u << 20));
  // a holds less than its share: still accepted.
  CHECK(la->conn->send(make_ws_frame(ws_opcode::text, "still here")));
}

TEST_CASE("server stop closes upgraded connections with 1001") {
  ws_server s;
  client c;
  c.connect(s.srv->port());
  auto l = s.last();
  std::thread stopper{[&] { s.srv->stop(); }};
  beast::flat_buffer buf;
  beast::error_code ec;
  c.ws.read(buf, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(c.ws.reason().code == websocket::close_code::going_away);
  stopper.join();
  REQUIRE(l->wait_closed(std::chrono::seconds{5}));
  CHECK(*l->closed == ws_close_reason::shutdown);
}

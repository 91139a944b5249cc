#include "runtime/http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "runtime/http/errc.hpp"

namespace ds::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

caf::expected<client_response>
request_once(const std::string& host, uint16_t port, const std::string& method,
             const std::string& target, std::chrono::milliseconds timeout,
             const request_body* body) {
  auto where = host + ":" + std::to_string(port);
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver{io};
    beast::tcp_stream stream{io};
    stream.expires_after(timeout); // covers connect, write and read
    auto endpoints = resolver.resolve(host, std::to_string(port));
    stream.connect(endpoints);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method),
                                           target, 11};
    req.set(bhttp::field::host, where);
    req.set(bhttp::field::user_agent, "dashstream");
    if (body != nullptr) {
      req.set(bhttp::field::content_type, body->content_type);
      req.body() = body->data;
    }
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return client_response{static_cast<int>(res.result_int()),
                           std::move(res.body())};
  } catch (const beast::system_error& e) {
    return make_error(errc::request_failed, method + " http://" + where +
                                              target + ": " +
                                              e.code().message());
  }
}

} // namespace ds::http

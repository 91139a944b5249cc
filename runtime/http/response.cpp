#include "runtime/http/response.hpp"

#include <nlohmann/json.hpp>

namespace ds::http {

response response::json(unsigned status, std::string body) {
  response res;
  res.status = status;
  res.body = std::move(body);
  return res;
}

response response::error(unsigned status, std::string_view code,
                         std::string_view message) {
  nlohmann::json body{{"error", code}, {"message", message}};
  // Messages may quote a request path: never fail on invalid UTF-8 there.
  return json(status, body.dump(-1, ' ', false,
                                nlohmann::json::error_handler_t::replace));
}

response response::bearer_refused(std::string_view reason) {
  auto res = error(401, "unauthorized", reason);
  res.headers.emplace_back("WWW-Authenticate",
                           "Bearer error=\"invalid_token\"");
  return res;
}

} // namespace ds::http

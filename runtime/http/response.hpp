#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ds::http {

/// What a handler answers. The server adds Content-Length, Connection and
/// X-Content-Type-Options itself, and drops the body for HEAD.
struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra header fields, e.g. {"Cache-Control", "no-store"}.
  std::vector<std::pair<std::string, std::string>> headers;

  /// A JSON response with an already serialised body.
  static response json(unsigned status, std::string body);

  /// The uniform error body: {"error": code, "message": message}.
  static response error(unsigned status, std::string_view code,
                        std::string_view message);

  /// 401 for a refused bearer token, `reason` as its message, with the
  /// WWW-Authenticate challenge RFC 6750 asks for.
  static response bearer_refused(std::string_view reason);
};

} // namespace ds::http

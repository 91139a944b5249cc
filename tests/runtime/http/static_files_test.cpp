#include <catch2/catch.hpp>

#include "runtime/http/errc.hpp"
#include "runtime/http/static_files.hpp"
#include "runtime/http/target.hpp"

using namespace ds::http;

TEST_CASE("percent-decoding rejects malformed escapes") {
  CHECK(percent_decode("a%20b") == "a b");
  CHECK(percent_decode("%2e%2E") == "..");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%2"));
  CHECK_FALSE(percent_decode("%zz"));
  CHECK(percent_decode("%00") == std::string(1, '\0'));
}

TEST_CASE("percent-encoding round-trips every byte") {
  CHECK(percent_encode("thread-1_a.b~") == "thread-1_a.b~");
  CHECK(percent_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  CHECK(percent_decode(percent_encode(all)) == all);
}

TEST_CASE("safe paths map below the directory") {
  CHECK(safe_relative_path("app.js") == std::filesystem::path{"app.js"});
  CHECK(safe_relative_path("assets/app%20x.js") ==
        std::filesystem::path{"assets/app x.js"});
  CHECK(safe_relative_path("") == std::filesystem::path{"index.html"});
  CHECK(safe_relative_path("docs/") ==
        std::filesystem::path{"docs/index.html"});
}

TEST_CASE("unsafe paths are rejected, encoded or not") {
  for (const char* p :
       {"../etc/passwd", "a/../../etc/passwd", "%2e%2e/etc/passwd",
        "%2E%2E%2Fetc%2Fpasswd", "/etc/passwd", "%2Fetc/passwd",
        "index.html%00.png", "a\\..\\b", "a%5c..%5cb", "./index.html",
        ".git/config", "a//b", "%zz", "a/.."}) {
    INFO(p);
    auto r = safe_relative_path(p);
    REQUIRE_FALSE(r);
    CHECK(to_errc(r.error()) == errc::unsafe_path);
  }
}

TEST_CASE("content types for the UI's file kinds") {
  CHECK(content_type_for("index.html") == "text/html; charset=utf-8");
  CHECK(content_type_for("a/app.JS") == "text/javascript; charset=utf-8");
  CHECK(content_type_for("x.css") == "text/css; charset=utf-8");
  CHECK(content_type_for("x.json") == "application/json");
  CHECK(content_type_for("x.js.map") == "application/json");
  CHECK(content_type_for("x.svg") == "image/svg+xml");
  CHECK(content_type_for("x.png") == "image/png");
  CHECK(content_type_for("favicon.ico") == "image/x-icon");
  CHECK(content_type_for("x.bin") == "application/octet-stream");
  CHECK(content_type_for("README") == "application/octet-stream");
}

TEST_CASE("Accept-Encoding: gzip is accepted unless its q is 0") {
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("gzip, deflate, br"));
  CHECK(accepts_gzip("br, GZIP;q=0.5"));
  CHECK(accepts_gzip("*"));
  CHECK(accepts_gzip("deflate, gzip ; q=1"));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("identity"));
  CHECK_FALSE(accepts_gzip("br, deflate"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
  CHECK_FALSE(accepts_gzip("gzip;q=0.000"));
  CHECK_FALSE(accepts_gzip("gzipped"));
  // A byte >= 0x80 where the q parameter goes (Beast passes obs-text in
  // header values): it went to std::tolower as a negative char, which is
  // undefined behaviour; now as an unsigned char, and it is not a q.
  CHECK(accepts_gzip("gzip;\xd1=0"));
  CHECK(accepts_gzip("gzip; \xff"));
  CHECK_FALSE(accepts_gzip("\xe9gzip;q=1"));
}

#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace ds::http {

/// A file read for a static route.
struct static_file {
  std::string body;
  std::string content_type;
  /// "gzip" when body is the precompressed `<file>.gz` beside the file.
  std::string content_encoding;
  /// The file lies under an `assets/` directory: a build names those by
  /// their content hash, so a cache may keep them for good.
  bool immutable = false;
};

/// Files larger than this are not served (the UI bundle is far smaller;
/// handlers run on the io thread and read the file whole).
inline constexpr std::uintmax_t max_static_file_bytes = 16u << 20;

/// The Content-Type for a file name; application/octet-stream if unknown.
std::string_view content_type_for(const std::filesystem::path& file);

/// The relative path that `encoded_rest` (the percent-encoded part of the
/// request path below the mount point) names, or errc::unsafe_path. Checks
/// run on the decoded text, so an encoded "%2e%2e" or "%00" is caught too:
/// rejected are bad escapes, NUL, backslashes, a leading '/' (absolute),
/// empty segments, and any segment starting with '.' (which covers "..",
/// "." and dotfiles such as .git). "" and a trailing '/' mean index.html.
caf::expected<std::filesystem::path>
safe_relative_path(std::string_view encoded_rest);

/// Reads the file `encoded_rest` names under `root` (a canonical directory
/// path). Besides safe_relative_path(), the canonical file path must still
/// lie under `root`, so a symlink cannot lead outside it.
/// With `gzip_ok` (the client accepts gzip) and a regular file
/// `<file>.gz` beside it, that file's bytes are the body instead: the UI
/// build precompresses its text assets, so nothing is compressed per
/// request. Errors: unsafe_path, file_not_found, file_unreadable.
caf::expected<static_file> load_static_file(const std::filesystem::path& root,
                                            std::string_view encoded_rest,
                                            bool gzip_ok = false);

/// True if an Accept-Encoding header value allows gzip (a "gzip" or "*"
/// coding whose q is not 0).
bool accepts_gzip(std::string_view accept_encoding);

} // namespace ds::http

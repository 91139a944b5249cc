#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace ds::test {

/// A fresh directory under /tmp, removed with everything in it when the
/// object goes: tests that give a daemon a spool leave nothing behind.
struct temp_dir {
  std::filesystem::path path;

  explicit temp_dir(const std::string& prefix = "ds-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::abort(); // /tmp unusable: nothing else would work either
    }
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string str() const { return path.string(); }
  /// `name` inside this directory (not created).
  std::string sub(const std::string& name) const {
    return (path / name).string();
  }
};

} // namespace ds::test

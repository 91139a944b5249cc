#pragma once

#include <string>

namespace ds::app {

/// What `dashstream --version` prints: the version, the commit and the
/// build date (the values /version and dashstream_build_info report).
std::string version_line();

} // namespace ds::app

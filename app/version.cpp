#include "app/version.hpp"

#include "build_info.hpp" // generated: DS_GIT_SHA, DS_BUILD_DATE

namespace ds::app {

std::string version_line() {
  return std::string{"dashstream "} + DS_VERSION + " (commit " + DS_GIT_SHA +
         ", built " + DS_BUILD_DATE + ")";
}

} // namespace ds::app

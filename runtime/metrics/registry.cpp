#include "runtime/metrics/registry.hpp"

namespace ds::metrics {

registry::registry() : ptr_(std::make_shared<prometheus::Registry>()) {}

} // namespace ds::metrics

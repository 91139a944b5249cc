#include "runtime/metrics/registry.hpp"

namespace ds::metrics {

registry::registry()
  : ptr_(std::make_shared<prometheus::Registry>()),
    exemplars_(std::make_shared<exemplar_board>()) {}

} // namespace ds::metrics

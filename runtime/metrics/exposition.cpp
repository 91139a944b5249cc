#include "runtime/metrics/exposition.hpp"

#include <prometheus/text_serializer.h>

namespace ds::metrics {

std::string render_text(const prometheus::Registry& registry) {
  return prometheus::TextSerializer{}.Serialize(registry.Collect());
}

} // namespace ds::metrics

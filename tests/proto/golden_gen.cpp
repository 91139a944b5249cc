// Writes the golden vectors: golden_gen <dir>, e.g.
//   build/h2-dev/tests/proto/golden_gen tests/proto/golden
// Not a test; run it only to regenerate the files after a deliberate change.

#include <cstdio>
#include <fstream>
#include <string>

#include "diag/errc.hpp"
#include "proto/codec.hpp"
#include "tests/proto/golden_messages.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <output-dir>\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  for (const auto& gv : ds::proto::golden::golden_vectors()) {
    auto msg = gv.make();
    auto bytes = ds::proto::encode(msg);
    if (!bytes) {
      std::fprintf(stderr, "%s: %s\n", gv.file,
                   ds::diag::describe(bytes.error()).c_str());
      return 1;
    }
    auto path = dir + "/" + gv.file;
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
    std::printf("%s: %zu bytes, framing 0x%02x\n", path.c_str(), bytes->size(),
                static_cast<unsigned>(static_cast<uint8_t>(bytes->front())));
  }
  return 0;
}

// config_doc_gen: writes docs/configuration.md and the example file from
// the settings table. Run through the `config_docs` CMake target after
// changing config/schema.cpp; config_test fails until the files are
// regenerated.

#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "config/loader.hpp"

namespace {

bool write_file(const char* path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  out.close();
  if (!out) {
    std::cerr << "config_doc_gen: cannot write " << path << '\n';
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  bool ok = argc > 1;
  for (int i = 1; ok && i < argc; i += 2) {
    if (i + 1 >= argc) {
      ok = false;
    } else if (std::strcmp(argv[i], "--reference") == 0) {
      ok = write_file(argv[i + 1], ds::config::reference_markdown());
    } else if (std::strcmp(argv[i], "--example") == 0) {
      ok = write_file(argv[i + 1], ds::config::example_toml());
    } else {
      ok = false;
    }
  }
  if (!ok) {
    std::cerr << "usage: config_doc_gen [--reference FILE.md] "
                 "[--example FILE.toml]\n";
    return 64; // EX_USAGE
  }
  return 0;
}

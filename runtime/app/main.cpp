// The only file not linked into tests: everything else is in ds::app.
#include "runtime/app/command.hpp"

int main(int argc, char** argv) {
  return ds::app::run(argc, argv);
}

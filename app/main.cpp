// The program: the daemon (ds::app) plus the load tools behind `produce`,
// `bench` and `run --demo`, which the daemon's core does not link.
#include "app/command.hpp"

int main(int argc, char** argv) {
  return ds::app::run(argc, argv);
}

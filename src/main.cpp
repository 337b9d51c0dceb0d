// The only code the tests do not link: everything else is in the gateway library.
#include "app/cli.h"

int main(int argc, char** argv) {
  return gw::cli_main(argc, argv);
}

// The command line (contract section 1): run, check-config, --version.
#pragma once

namespace gw {

// Parses argv and runs the chosen command; returns the process exit code.
int cli_main(int argc, char** argv);

}  // namespace gw

#pragma once

namespace confab::server {

// confab-server's command line: serve (default) or an admin subcommand
// (`user add|passwd|remove|list`, `room create|list`). Returns the exit code.
int runCli(int argc, char **argv);

} // namespace confab::server

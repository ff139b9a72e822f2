#include "app/cli.h"

int main(int argc, char **argv)
{
    return confab::server::runCli(argc, argv);
}

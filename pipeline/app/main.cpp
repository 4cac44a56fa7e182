#include "pipeline/app/cli.hpp"

int main(int argc, char** argv) { return prospector::cli_main(argc, argv); }

#pragma once
/// \file cli.hpp
/// The `prospector` command-line interface: subcommands synth, validate, run, inspect, schema, kernels.

namespace prospector {

/// Parses argv, runs the subcommand and returns the process exit code:
/// 0 success, 2 bad usage or job file, 3 bad input data, 4 runtime or I/O failure.
/// Never throws; errors are printed as one line on stderr.
int cli_main(int argc, char** argv);

} // namespace prospector

#pragma once
/// \file process.hpp
/// Internal to the Slurm layer: running Slurm's client commands (sbatch, squeue, sacct, scontrol, scancel)
/// without a shell, and the small text helpers for their output and for shell command lines.

#include "pipeline/base/strings.hpp"

#include <string>
#include <vector>

namespace prospector::slurm {

/// What a command did: its exit status (127: it could not be started; 128 + N: killed by signal N) and
/// everything it wrote to stdout and stderr.
struct CmdResult {
  int rc = -1;
  std::string out, err;
};

/// Full path of the executable `name` in $PATH (as execvp would find it), or "" when there is none.
std::string find_on_path(const std::string& name);

/// Runs argv (argv[0] looked up in $PATH, no shell) with stdin from /dev/null, waits for it to end and
/// captures stdout and stderr. Throws Error Runtime only when no pipe can be created.
CmdResult run_cmd(const std::vector<std::string>& argv);

/// s trimmed, with line breaks turned into spaces: command output for a one-line error message.
std::string one_line(const std::string& s);

/// s as one word for a POSIX shell: unchanged when it is only safe characters, else in single quotes.
std::string shell_quote(const std::string& s);

} // namespace prospector::slurm

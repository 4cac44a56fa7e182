#pragma once
/// \file progress.hpp
/// Progress reporting per stage: a bar with ETA on a terminal, periodic plain lines with elapsed time
/// otherwise (batch logs).

#include <chrono>
#include <cstdint>
#include <string>

namespace prospector {

/// Reports progress of one stage on stderr. Not thread-safe: call from the main thread.
class Progress {
public:
  /// `total` work units (e.g. layers); `interval_s` between plain lines when stderr is not a terminal.
  Progress(std::string stage, std::int64_t total, double interval_s = 10.0);
  ~Progress();
  /// Marks `done` units complete (monotonic), with an optional note ("layer tmi").
  void update(std::int64_t done, const std::string& note = "");
  /// Finishes the stage (prints the final line).
  void finish();

private:
  using clock = std::chrono::steady_clock;
  std::string stage_;
  std::int64_t total_;
  double interval_s_;
  bool tty_;
  bool finished_ = false;
  clock::time_point start_, last_print_;
};

} // namespace prospector

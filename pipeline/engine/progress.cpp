#include "pipeline/engine/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace prospector {

namespace {
std::string fmt_seconds(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}
} // namespace

Progress::Progress(std::string stage, std::int64_t total, double interval_s)
    : stage_(std::move(stage)), total_(std::max<std::int64_t>(total, 1)), interval_s_(interval_s),
      tty_(isatty(STDERR_FILENO) != 0), start_(clock::now()), last_print_(start_) {
  if (!tty_)
    std::fprintf(stderr, "[%s] started (%lld steps)\n", stage_.c_str(), static_cast<long long>(total_));
}

Progress::~Progress() {
  if (!finished_ && tty_) std::fprintf(stderr, "\n");
}

void Progress::update(std::int64_t done, const std::string& note) {
  const auto now = clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  if (tty_) {
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
    std::fprintf(stderr, "\r%-10s [%s] %3d%% elapsed %s ETA %s %-24.24s", stage_.c_str(), bar.c_str(),
                 static_cast<int>(frac * 100), fmt_seconds(elapsed).c_str(), fmt_seconds(eta).c_str(),
                 note.c_str());
    std::fflush(stderr);
  } else if (std::chrono::duration<double>(now - last_print_).count() >= interval_s_) {
    std::fprintf(stderr, "[%s] %lld/%lld (%d%%) elapsed %s %s\n", stage_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), static_cast<int>(frac * 100),
                 fmt_seconds(elapsed).c_str(), note.c_str());
    last_print_ = now;
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
  if (tty_) {
    update(total_, "");
    std::fprintf(stderr, "\n");
  } else {
    std::fprintf(stderr, "[%s] done in %s\n", stage_.c_str(), fmt_seconds(elapsed).c_str());
  }
}

} // namespace prospector

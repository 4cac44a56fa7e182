#include "pipeline/engine/engine.hpp"

#include <unistd.h>

namespace prospector {

namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int sig) {
  if (g_signal != 0) {
    // A second interrupt: the user wants out now. Only async-signal-safe calls here.
    static const char msg[] =
        "prospector: error: interrupted twice; stopping now. Completed units are kept: rerun "
        "the same command to resume\n";
    const ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(4);
  }
  g_signal = sig;
}
} // namespace

InterruptGuard::InterruptGuard() : saved_(new struct sigaction[3]) {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &saved_[0]);
  sigaction(SIGINT, &sa, &saved_[1]);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGXFSZ, &ign, &saved_[2]);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGTERM, &saved_[0], nullptr);
  sigaction(SIGINT, &saved_[1], nullptr);
  sigaction(SIGXFSZ, &saved_[2], nullptr);
  delete[] saved_;
}

int InterruptGuard::received() { return g_signal; }

} // namespace prospector

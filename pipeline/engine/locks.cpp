#include "pipeline/engine/locks.hpp"

#include "pipeline/base/errors.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace prospector {

namespace fs = std::filesystem;

namespace {

int open_lock(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw_runtime("cannot create lock file " + path + " (check permissions and free space)");
  return fd;
}

void release(int fd) {
  if (fd < 0) return;
  ::flock(fd, LOCK_UN);
  ::close(fd);
}

} // namespace

RunLock::RunLock(const std::string& dir, bool shared) {
  fd_ = open_lock(dir + "/.lock");
  if (::flock(fd_, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw_runtime("another prospector run is using " + dir +
                  "; wait for it to finish or use another output folder (--out)");
  }
}
RunLock::~RunLock() { release(fd_); }
RunLock::RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

UnitLock::UnitLock(const std::string& path) {
  fd_ = open_lock(path);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw_runtime("unit " + path + " is being computed by another process");
  }
}
UnitLock::~UnitLock() { release(fd_); }
UnitLock::UnitLock(UnitLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

} // namespace prospector

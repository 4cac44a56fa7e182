#include "pipeline/engine/locks.hpp"

#include "pipeline/base/errors.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <utility>

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

RunLock::RunLock(const std::string& dir, bool shared) : path_(dir + "/.lock") {
  fd_ = open_lock(path_);
  if (::flock(fd_, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw_runtime("another prospector run is using " + dir +
                  "; wait for it to finish or use another output folder (--out)");
  }
}
RunLock::~RunLock() { release(fd_); }
RunLock::RunLock(RunLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }

void RunLock::check_held() const {
  struct stat held {
  }, now{};
  if (fd_ < 0 || ::fstat(fd_, &held) != 0) return;
  if (::stat(path_.c_str(), &now) != 0 || now.st_ino != held.st_ino || now.st_dev != held.st_dev)
    throw_runtime(
        "the run's lock file " + path_ +
        " was deleted or replaced while the run was going (was the output folder removed?); stopping, "
        "so that no second run writes the same folder beside this one: rerun the command");
}

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

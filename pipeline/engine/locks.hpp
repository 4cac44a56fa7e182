#pragma once
/// \file locks.hpp
/// flock-based locks of a work folder, released by the kernel even on kill -9. Move-only owners of their
/// file descriptors; destructors never throw.

#include <string>

namespace prospector {

/// Lock of a work folder: exclusive for a full run, shared for --stages/--tiles runs (Slurm array tasks),
/// so that two full runs never share an output folder. Error(Runtime) when another process holds it.
class RunLock {
public:
  RunLock(const std::string& work_dir, bool shared);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  /// Error(Runtime) when the lock file is no longer the one locked (the output folder was deleted or the file
  /// replaced): a second run could then lock a new file beside this one, so this run must stop.
  void check_held() const;

private:
  int fd_ = -1;
  std::string path_;
};

/// Exclusive lock of one unit, so that concurrent array tasks never compute the same unit at once.
class UnitLock {
public:
  explicit UnitLock(const std::string& path);
  ~UnitLock();
  UnitLock(UnitLock&& other) noexcept;
  UnitLock& operator=(UnitLock&&) = delete;
  UnitLock(const UnitLock&) = delete;
  UnitLock& operator=(const UnitLock&) = delete;

private:
  int fd_ = -1;
};

} // namespace prospector

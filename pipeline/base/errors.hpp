#pragma once
/// \file errors.hpp
/// Error categories of prospector and their documented process exit codes.

#include <stdexcept>
#include <string>

namespace prospector {

/// Category of a failure; each maps to one documented exit code.
enum class ErrorKind {
  Usage = 2,     ///< bad command line or job file (schema, unknown key, wrong type)
  InputData = 3, ///< an input file is missing, unreadable, corrupt, empty or off the grid
  Runtime = 4,   ///< I/O or runtime failure (unwritable output, disk full, library error)
};

/// The one exception type the library throws. The message says what, where and what to do.
class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  /// The failure category.
  ErrorKind kind() const noexcept { return kind_; }
  /// The process exit code of this category (2, 3 or 4).
  int exit_code() const noexcept { return static_cast<int>(kind_); }

private:
  ErrorKind kind_;
};

/// Throws Error(ErrorKind::Usage, msg).
[[noreturn]] void throw_usage(const std::string& msg);
/// Throws Error(ErrorKind::InputData, msg).
[[noreturn]] void throw_input(const std::string& msg);
/// Throws Error(ErrorKind::Runtime, msg).
[[noreturn]] void throw_runtime(const std::string& msg);

} // namespace prospector

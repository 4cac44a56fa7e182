#pragma once
/// \file h5_detail.hpp
/// The one layer of checked HDF5 calls under the reader and the writer: RAII handles whose destructors never
/// throw, a scoped guard for HDF5's global error printing, and a checker that turns failed calls into
/// prospector::Error naming the file, the object and the call.

#include <hdf5.h>

#include <string>
#include <utility>

namespace prospector::h5 {

/// Turns off HDF5's automatic printing of its error stack for the lifetime of the guard (HDF5's global state,
/// restored on destruction); the failing call and HDF5's own description go into the exception instead.
class ErrorSilencer {
public:
  ErrorSilencer();
  ~ErrorSilencer();
  ErrorSilencer(const ErrorSilencer&) = delete;
  ErrorSilencer& operator=(const ErrorSilencer&) = delete;

private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// HDF5's description of the innermost error on the stack (and clears the stack).
std::string error_text();

/// Owning hid_t; the destructor closes and never throws.
template <herr_t (*Close)(hid_t)> class Handle {
public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  /// Closes now and returns HDF5's status (for the file, whose close flushes).
  herr_t close_now() noexcept {
    const herr_t rc = id_ >= 0 ? Close(id_) : 0;
    id_ = H5I_INVALID_HID;
    return rc;
  }

private:
  hid_t id_ = H5I_INVALID_HID;
};

using FileH = Handle<H5Fclose>;
using DatasetH = Handle<H5Dclose>;
using SpaceH = Handle<H5Sclose>;
using TypeH = Handle<H5Tclose>;
using PlistH = Handle<H5Pclose>;
using AttrH = Handle<H5Aclose>;
using GroupH = Handle<H5Gclose>;
using ObjectH = Handle<H5Oclose>;

/// Checks HDF5 return codes against one file.
class Checker {
public:
  explicit Checker(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  /// Throws Error(Runtime) "FILE: HDF5 CALL failed for 'OBJECT': DETAIL (HINT)".
  [[noreturn]] void fail(const std::string& object, const char* call, const std::string& hint = {}) const;
  /// `id`, or fail() when it is negative.
  hid_t id(hid_t id, const std::string& object, const char* call) const {
    if (id < 0) fail(object, call);
    return id;
  }
  /// fail() when `rc` is negative.
  void ok(herr_t rc, const std::string& object, const char* call) const {
    if (rc < 0) fail(object, call);
  }

private:
  std::string file_;
};

} // namespace prospector::h5

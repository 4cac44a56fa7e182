#include "pipeline/io/h5_detail.hpp"

#include "pipeline/base/errors.hpp"

namespace prospector::h5 {

ErrorSilencer::ErrorSilencer() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

ErrorSilencer::~ErrorSilencer() {
  H5Eclear2(H5E_DEFAULT);
  H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

namespace {
herr_t collect_error(unsigned n, const H5E_error2_t* err, void* client) {
  auto* out = static_cast<std::string*>(client);
  // Walking upward, entry 0 is where HDF5 detected the problem: the most specific description.
  if (n == 0 && err && err->desc) *out = err->desc;
  return 0;
}
} // namespace

std::string error_text() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return text;
}

void Checker::fail(const std::string& object, const char* call, const std::string& hint) const {
  const std::string detail = error_text();
  std::string msg = file_ + ": HDF5 " + call + " failed for '" + object + "'";
  if (!detail.empty()) msg += ": " + detail;
  msg += hint.empty() ? " (check free disk space and write permission)" : " (" + hint + ")";
  throw_runtime(msg);
}

} // namespace prospector::h5

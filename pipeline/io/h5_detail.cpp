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

// HDF5's driver messages span lines ("file write failed: time = ...\n, filename = ..., errno = 28, error
// message = 'No space left on device', buf = 0x..."). One line with the system's message is what a user
// reads.
std::string one_line(std::string d) {
  const std::string key = "error message = '";
  const auto k = d.find(key);
  if (k != std::string::npos) {
    const auto end = d.find('\'', k + key.size());
    const auto colon = d.find(':');
    d = (colon != std::string::npos && colon < k ? d.substr(0, colon) + ": " : std::string()) +
        d.substr(k + key.size(), end == std::string::npos ? std::string::npos : end - k - key.size());
  }
  for (char& c : d)
    if (c == '\n' || c == '\r') c = ' ';
  return d;
}
} // namespace

std::string error_text() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return one_line(text);
}

void Checker::fail(const std::string& object, const char* call, const std::string& hint) const {
  const std::string detail = error_text();
  std::string msg = file_ + ": HDF5 " + call + " failed for '" + object + "'";
  if (!detail.empty()) msg += ": " + detail;
  msg += hint.empty() ? " (check free disk space and write permission)" : " (" + hint + ")";
  throw_runtime(msg);
}

} // namespace prospector::h5

// libFuzzer target: arbitrary bytes as a job file for prospector::load_job. The only exception the loader
// may throw is prospector::Error; anything else escaping (or a sanitizer report) is a finding.
#include "pipeline/base/errors.hpp"
#include "pipeline/job/job.hpp"
#include "tests/fuzz/fuzz_util.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string& path = prospector::fuzz::write_scratch("job.json", data, size);
  try {
    const prospector::Job job = prospector::load_job(path);
    (void)job;
  } catch (const prospector::Error&) {
  }
  return 0;
}

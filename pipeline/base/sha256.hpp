#pragma once
/// \file sha256.hpp
/// SHA-256 (FIPS 180-4) of files and strings, for provenance records.

#include <cstdint>
#include <string>

namespace prospector {

/// Incremental SHA-256. Uses the CPU's SHA extensions where it has them (same digest, several times faster).
class Sha256 {
public:
  /// `portable` forces the plain C++ rounds (for tests that compare both paths).
  explicit Sha256(bool portable = false);
  void update(const void* data, std::size_t n);
  /// Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

private:
  void blocks(const unsigned char* p, std::size_t n);
  bool portable_;
  std::uint32_t h_[8];
  unsigned char buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

/// True when this CPU's SHA extensions compute the digests.
bool sha256_uses_cpu_extensions();

/// SHA-256 of a string.
std::string sha256_hex(const std::string& s);
/// SHA-256 of a file's bytes; throws Error(InputData) when it cannot be read.
std::string sha256_file(const std::string& path);

} // namespace prospector

#pragma once
/// \file sha256.hpp
/// SHA-256 (FIPS 180-4) of files and strings, for provenance records.

#include <cstdint>
#include <string>

namespace prospector {

/// Incremental SHA-256.
class Sha256 {
public:
  Sha256();
  void update(const void* data, std::size_t n);
  /// Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

private:
  void block(const unsigned char* p);
  std::uint32_t h_[8];
  unsigned char buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

/// SHA-256 of a string.
std::string sha256_hex(const std::string& s);
/// SHA-256 of a file's bytes; throws Error(InputData) when it cannot be read.
std::string sha256_file(const std::string& path);

} // namespace prospector

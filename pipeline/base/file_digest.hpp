#pragma once
/// \file file_digest.hpp
/// SHA-256 digests of input files for unit keys and provenance, each file read at most once per run and
/// remembered across runs.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace prospector {

/// Digests of files, cached in memory and in a small JSON file. A cached digest is reused only while the
/// file's device, inode, size, modification time and status-change time (nanoseconds) are unchanged; the
/// change time cannot be set back by a user, so rewriting a file always invalidates its entry.
class FileDigests {
public:
  /// `cache_file` is the JSON cache ("" keeps digests in memory only).
  explicit FileDigests(std::string cache_file);

  /// SHA-256 (lower-case hex) of one file; throws Error(InputData) when it cannot be read.
  std::string sha256(const std::string& path);
  /// SHA-256 of each file, the uncached ones read in parallel (OpenMP); same errors as sha256().
  std::vector<std::string> sha256_all(const std::vector<std::string>& paths);
  /// Files read (not served from the cache) so far.
  std::int64_t files_read() const { return files_read_; }

private:
  struct Entry {
    std::string stat_key, digest;
  };
  void save();
  std::string cache_file_;
  std::map<std::string, Entry> entries_;
  std::int64_t files_read_ = 0;
};

} // namespace prospector

#pragma once
/// \file fuzz_util.hpp
/// Shared helper of the libFuzzer targets: a per-process scratch file under /tmp that each run overwrites.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace prospector::fuzz {

/// Path of a scratch file named `name` in a folder private to this process, removed at exit.
inline const std::string& scratch_file(const char* name) {
  static std::string dir;
  static std::string path;
  if (path.empty()) {
    char tmpl[] = "/tmp/prospector_fuzz_XXXXXX";
    const char* d = mkdtemp(tmpl);
    if (!d) std::abort();
    dir = d;
    path = dir + "/" + name;
    std::atexit([] {
      std::remove(path.c_str());
      rmdir(dir.c_str());
    });
  }
  return path;
}

/// Writes the fuzz input to the scratch file, replacing its previous content.
inline const std::string& write_scratch(const char* name, const std::uint8_t* data, size_t size) {
  const std::string& p = scratch_file(name);
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return p;
}

} // namespace prospector::fuzz

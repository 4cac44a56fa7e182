#include "pipeline/base/file_digest.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/sha256.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using prospector::FileDigests;

namespace {
void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}
} // namespace

TEST_CASE("FileDigests reads each file once, remembers it across runs and notices a rewrite",
          "[file_digest]") {
  const fs::path dir = fs::temp_directory_path() / ("prospector_digest_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string a = (dir / "a.tif").string(), b = (dir / "b.tif").string();
  const std::string cache = (dir / "work" / "file_digests.json").string();
  write(a, "first survey tile");
  write(b, "second survey tile");
  {
    FileDigests d(cache);
    const auto sha = d.sha256_all({a, b, a});
    CHECK(sha[0] == prospector::sha256_hex("first survey tile"));
    CHECK(sha[1] == prospector::sha256_hex("second survey tile"));
    CHECK(sha[2] == sha[0]);
    CHECK(d.sha256(a) == sha[0]);
    CHECK(d.files_read() == 3); // a twice in the first call: uncached then
    CHECK(d.sha256(b) == sha[1]);
    CHECK(d.files_read() == 3);
  }
  {
    FileDigests d(cache); // a new run: the cache file answers
    CHECK(d.sha256(a) == prospector::sha256_hex("first survey tile"));
    CHECK(d.files_read() == 0);
    write(a, "first survey tile, reprocessed"); // new ctime (and size)
    CHECK(d.sha256(a) == prospector::sha256_hex("first survey tile, reprocessed"));
    CHECK(d.files_read() == 1);
  }
  {
    // Same size, same modification time set back: the change time still differs.
    const auto before = fs::last_write_time(b);
    write(b, "SECOND survey tile");
    fs::last_write_time(b, before);
    FileDigests d(cache);
    CHECK(d.sha256(b) == prospector::sha256_hex("SECOND survey tile"));
  }
  {
    write(cache, "{not json");
    FileDigests d(cache); // a damaged cache is ignored
    CHECK(d.sha256(a) == prospector::sha256_hex("first survey tile, reprocessed"));
    CHECK_THROWS_AS(d.sha256((dir / "missing.tif").string()), prospector::Error);
  }
  fs::remove_all(dir);
}

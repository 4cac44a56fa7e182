#include "pipeline/base/sha256.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>

TEST_CASE("SHA-256 matches the FIPS 180-4 test vectors", "[sha256]") {
  using prospector::sha256_hex;
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 with the CPU's SHA extensions equals the portable rounds", "[sha256]") {
  using prospector::Sha256;
  std::mt19937_64 rng(42);
  std::string data(70000, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  INFO("CPU extensions in use: " << prospector::sha256_uses_cpu_extensions());
  for (std::size_t n : {0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4096, 69999, 70000}) {
    Sha256 fast, portable(true);
    // Pieces of random length exercise the buffered and the direct block paths.
    std::size_t at = 0;
    while (at < n) {
      const std::size_t take = std::min<std::size_t>(n - at, rng() % 200);
      fast.update(data.data() + at, take);
      portable.update(data.data() + at, take);
      at += take;
    }
    CHECK(fast.hex_digest() == portable.hex_digest());
  }
  Sha256 one;
  one.update(data.data(), 3);
  CHECK(one.hex_digest() == prospector::sha256_hex(data.substr(0, 3)));
}

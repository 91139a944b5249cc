#include "runtime/spool/crc32c.hpp"

#include <random>
#include <string>

#include <catch2/catch.hpp>

using namespace ds::spool;

namespace {

uint32_t crc_of(const std::string& s) {
  return crc32c_final(crc32c_extend(crc32c_init, s.data(), s.size()));
}

} // namespace

TEST_CASE("crc32c matches the published check values") {
  // RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
  CHECK(crc_of("123456789") == 0xE3069283u);
  CHECK(crc_of(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(crc_of(std::string(32, '\xff')) == 0x62A8AB43u);
  CHECK(crc_of("") == 0u);
}

TEST_CASE("crc32c: the fast and the table path agree, in any split") {
  std::mt19937_64 rng{42};
  for (int round = 0; round < 200; ++round) {
    std::string data(rng() % 300, '\0');
    for (auto& c : data) {
      c = static_cast<char>(rng());
    }
    auto cut = data.empty() ? 0 : rng() % data.size();
    // Unaligned starts too: the fast path reads 8 bytes at a time.
    auto offset = data.empty() ? 0 : rng() % (data.size() - cut + 1);
    std::string_view view{data};
    auto a = view.substr(0, cut);
    auto b = view.substr(cut);
    auto whole_fast = crc32c_extend(crc32c_init, data.data(), data.size());
    auto whole_table =
      crc32c_extend_table(crc32c_init, data.data(), data.size());
    REQUIRE(whole_fast == whole_table);
    auto split = crc32c_extend(crc32c_extend(crc32c_init, a.data(), a.size()),
                               b.data(), b.size());
    auto split_table = crc32c_extend_table(
      crc32c_extend_table(crc32c_init, a.data(), a.size()), b.data(), b.size());
    REQUIRE(split == whole_fast);
    REQUIRE(split_table == whole_fast);
    auto tail = view.substr(offset);
    REQUIRE(crc32c_extend(crc32c_init, tail.data(), tail.size()) ==
            crc32c_extend_table(crc32c_init, tail.data(), tail.size()));
  }
}

// numpy's .npz files and pytorch-fid's statistics in them: the fixtures of
// tests/fixtures/make_npz_fixtures.py (np.savez_compressed, as pytorch-fid's --save-stats, and
// np.savez with float32 and int64 arrays) read to the values numpy printed, our files read back,
// and damage named.
#include <gan/io/npz.hpp>
#include <gan/metrics/fid_stats.hpp>

#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "common/temp_dir.hpp"

#include <fstream>
#include <iterator>

namespace gan::test {

namespace {
const std::filesystem::path kNpzDir = std::filesystem::path(GAN_TEST_FIXTURES) / "npz";

/// values.txt: d, mu (d), sigma (d*d), mu as float32 (d).
struct NpzExpected {
  int64_t d = 0;
  std::vector<double> mu, sigma, mu32;
};
NpzExpected npz_expected() {
  std::ifstream in(kNpzDir / "values.txt");
  std::vector<double> v;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') v.push_back(std::stod(line));
  NpzExpected e;
  e.d = int64_t(v.at(0));
  const size_t d = size_t(e.d);
  e.mu.assign(v.begin() + 1, v.begin() + 1 + long(d));
  e.sigma.assign(v.begin() + 1 + long(d), v.begin() + 1 + long(d + d * d));
  e.mu32.assign(v.begin() + 1 + long(d + d * d), v.end());
  return e;
}
}  // namespace

TEST(Npz, ReadsNumpysCompressedStatisticsExactly) {
  const auto e = npz_expected();
  const auto s = metrics::read_fid_stats(kNpzDir / "stats_compressed.npz");  // deflated entries
  ASSERT_EQ(s.mu.size(), e.d);
  for (int64_t i = 0; i < e.d; ++i) EXPECT_EQ(s.mu(i), e.mu[size_t(i)]) << i;
  for (int64_t i = 0; i < e.d; ++i)
    for (int64_t j = 0; j < e.d; ++j) EXPECT_EQ(s.sigma(i, j), e.sigma[size_t(i * e.d + j)]) << i << "," << j;
}

TEST(Npz, ReadsStoredFloat32AndInt64Arrays) {
  const auto e = npz_expected();
  const auto a = io::read_npz(kNpzDir / "stats_stored.npz");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.at("mu").shape, std::vector<int64_t>{e.d});
  for (int64_t i = 0; i < e.d; ++i) EXPECT_EQ(a.at("mu").values[size_t(i)], e.mu32[size_t(i)]) << i;
  EXPECT_EQ(a.at("extra").shape, (std::vector<int64_t>{2, 3, 4}));
  for (size_t i = 0; i < 24; ++i) EXPECT_EQ(a.at("extra").values[i], double(i));
}

TEST(Npz, WrittenStatisticsReadBackBitForBit) {
  TempDir dir("gan_npz");
  const auto e = npz_expected();
  metrics::GaussianStats s = metrics::read_fid_stats(kNpzDir / "stats_compressed.npz");
  metrics::write_fid_stats(dir.path() / "copy.npz", s);
  const auto back = metrics::read_fid_stats(dir.path() / "copy.npz");
  EXPECT_EQ(back.mu, s.mu);
  EXPECT_EQ(back.sigma, s.sigma);
  // A distance from the file equals the distance from the statistics it holds.
  metrics::GaussianStats shifted = s;
  shifted.mu.array() += 0.5;
  EXPECT_EQ(metrics::frechet_distance(back, shifted), metrics::frechet_distance(s, shifted));
  // The .npy layout numpy writes: magic, version 1.0, a header padded to 64 bytes.
  const std::string npy = io::npy_bytes({{2, 3}, {1, 2, 3, 4, 5, 6}});
  EXPECT_EQ(npy.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ((npy.size() - 48) % 64, 0u);
  EXPECT_NE(npy.find("'shape': (2, 3), }"), std::string::npos);
  EXPECT_EQ(io::parse_npy(npy).values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(Npz, DamageAndWrongContentsAreNamed) {
  TempDir dir("gan_npz");
  std::ifstream in(kNpzDir / "stats_compressed.npz", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string bad = bytes;
  {  // a byte inside sigma's deflated data (the local headers' copies of the sizes are not read)
    std::ifstream zin(kNpzDir / "stats_compressed.npz", std::ios::binary);
    const auto sigma = io::read_zip_directory(zin, bytes.size()).at("sigma.npy");
    ASSERT_EQ(sigma.method, 8);
    const size_t at = size_t(sigma.data_offset + sigma.compressed_size / 2);
    bad[at] = char(bad[at] ^ 0x40);
  }
  const auto p = dir.path() / "bad.npz";
  std::ofstream(p, std::ios::binary) << bad;
  const auto e = error_of<gan::Error>([&] { metrics::read_fid_stats(p); });
  EXPECT_TRUE(contains(e, p.string()) && (contains(e, "damaged") || contains(e, "CRC"))) << e;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 30);
  EXPECT_TRUE(contains(error_of<gan::Error>([&] { metrics::read_fid_stats(p); }), "truncated"));
  io::write_npz(p, {{"mean", io::NpyArray{{2}, {1, 2}}}});
  EXPECT_TRUE(contains(error_of<gan::Error>([&] { metrics::read_fid_stats(p); }), "has no 'mu' array"));
  io::write_npz(p, {{"mu", io::NpyArray{{2}, {1, 2}}}, {"sigma", io::NpyArray{{3, 3}, std::vector<double>(9, 0)}}});
  EXPECT_TRUE(contains(error_of<gan::Error>([&] { metrics::read_fid_stats(p); }), "sigma must be 2 x 2"));
  EXPECT_TRUE(contains(error_of<gan::Error>([&] { metrics::read_fid_stats(dir.path() / "none.npz"); }), "does not exist"));
}

}  // namespace gan::test

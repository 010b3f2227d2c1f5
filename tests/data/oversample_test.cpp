// Oversampling: the extra positives reach the requested share, and the baselines do what they say.
#include <gan/data/oversample.hpp>
#include <gan/data/random.hpp>
#include <gan/io/hash.hpp>

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace {

TEST(Oversample, ExtraNeededIsTheLeastCountThatReachesTheShare) {
  for (int64_t n : {1, 7, 100, 1000, 12345})
    for (int64_t p : {int64_t(0), n / 10, n / 5, n / 2, n})
      for (double share : {0.0, 0.1, 0.196, 0.35, 0.5, 0.9}) {
        const int64_t k = gan::data::extra_needed(n, p, share);
        ASSERT_GE(k, 0);
        EXPECT_GE(double(p + k) / double(n + k), share - 1e-12) << n << ' ' << p << ' ' << share;
        if (k > 0) EXPECT_LT(double(p + k - 1) / double(n + k - 1), share) << n << ' ' << p << ' ' << share;
      }
  // The paper: 19.6% positives brought to 35.1% leaves 45% of the positives real.
  const int64_t k = gan::data::extra_needed(1000, 196, 0.351);
  EXPECT_NEAR(196.0 / double(196 + k), 0.45, 0.005);
  EXPECT_THROW(gan::data::extra_needed(10, 11, 0.3), std::invalid_argument);
  EXPECT_THROW(gan::data::extra_needed(10, 2, 1.0), std::invalid_argument);
}

TEST(Oversample, DuplicationDrawsFromThePoolDeterministically) {
  const std::vector<int64_t> pool{3, 8, 9, 20};
  const auto a = gan::data::draw_with_replacement(pool, 400, 7);
  ASSERT_EQ(a.size(), 400u);
  std::set<int64_t> seen(a.begin(), a.end());
  EXPECT_EQ(seen, std::set<int64_t>(pool.begin(), pool.end()));  // every one, nothing else
  EXPECT_EQ(a, gan::data::draw_with_replacement(pool, 400, 7));
  EXPECT_NE(a, gan::data::draw_with_replacement(pool, 400, 8));
  EXPECT_THROW(gan::data::draw_with_replacement({}, 1, 0), std::invalid_argument);
}

at::Tensor random_images(int64_t n, int64_t s) {
  at::manual_seed(3);
  return at::randint(0, 256, {n, 3, s, s}, at::kByte);
}

TEST(Oversample, AugmentedCopiesWithoutCropOrJitterAreFlipsAndRotationsOfSources) {
  const auto images = random_images(5, 12);
  const auto copies = gan::data::augmented_copies(images, 30, 1, {.crop_min = 1.0, .jitter = 0.0});
  ASSERT_EQ(copies.sizes(), (std::vector<int64_t>{30, 3, 12, 12}));
  std::set<int> turns;
  for (int64_t i = 0; i < copies.size(0); ++i) {
    bool found = false;
    for (int64_t j = 0; j < images.size(0) && !found; ++j)
      for (int t = 0; t < 8 && !found; ++t) {
        auto x = images[j];
        if (t & 4) x = x.flip({2});
        if (at::equal(x.rot90(t & 3, {1, 2}), copies[i])) found = true, turns.insert(t);
      }
    EXPECT_TRUE(found) << "copy " << i << " is not a flip or rotation of a source image";
  }
  EXPECT_GE(turns.size(), 5u);  // the transforms vary
}

TEST(Oversample, AugmentedCopiesAreNewButCloseToASource) {
  const auto images = random_images(4, 16);
  const auto copies = gan::data::augmented_copies(images, 20, 2);
  EXPECT_TRUE(at::equal(copies, gan::data::augmented_copies(images, 20, 2)));
  EXPECT_FALSE(at::equal(copies, gan::data::augmented_copies(images, 20, 3)));
  // Mean intensity stays within the jitter of some source image's mean.
  const auto src_means = images.to(at::kFloat).mean({1, 2, 3});
  for (int64_t i = 0; i < copies.size(0); ++i) {
    const double m = copies[i].to(at::kFloat).mean().item<double>();
    EXPECT_LT((src_means - m).abs().min().item<double>(), 0.12 * 255) << i;
  }
  EXPECT_THROW(gan::data::augmented_copies(images.to(at::kFloat), 1, 0), std::invalid_argument);
  EXPECT_THROW(gan::data::augmented_copies(images, 1, 0, {.crop_min = 0.0}), std::invalid_argument);
}

TEST(Oversample, BalancedClassWeightsEqualSklearn) {
  // sklearn.utils.class_weight.compute_class_weight("balanced"): n / (classes * count).
  const std::vector<int64_t> y{0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  const auto w = gan::data::balanced_class_weights(y, 2);
  EXPECT_DOUBLE_EQ(w[0], 10.0 / 16.0);
  EXPECT_DOUBLE_EQ(w[1], 10.0 / 4.0);
  EXPECT_EQ(gan::data::balanced_class_weights(y, 3)[2], 0.0);
  EXPECT_THROW(gan::data::balanced_class_weights({0, 2}, 2), std::invalid_argument);
}

}  // namespace

TEST(Oversample, InterleavedLabelsKeepEveryPrefixWithinOneOfItsShare) {
  // Equal weights: round robin, as generate drew before shares existed.
  EXPECT_EQ(gan::data::interleaved_labels({0, 2, 3}, {1, 1, 1}, 7), (std::vector<int64_t>{0, 2, 3, 0, 2, 3, 0}));
  const std::vector<int64_t> classes{1, 4, 5};
  const std::vector<double> w{0.5, 0.3, 0.2};
  const auto labels = gan::data::interleaved_labels(classes, w, 1000);
  ASSERT_EQ(labels.size(), 1000u);
  std::map<int64_t, int64_t> count;
  for (size_t i = 0; i < labels.size(); ++i) {
    ++count[labels[i]];
    for (size_t c = 0; c < classes.size(); ++c)
      ASSERT_LE(std::abs(double(count[classes[c]]) - w[c] * double(i + 1)), 1.0) << "prefix " << i + 1;
  }
  EXPECT_EQ(count[1], 500);
  EXPECT_EQ(count[4], 300);
  EXPECT_EQ(count[5], 200);
  // A zero weight never draws; bad weights are refused.
  for (auto l : gan::data::interleaved_labels({0, 1}, {0, 2}, 10)) EXPECT_EQ(l, 1);
  EXPECT_THROW(gan::data::interleaved_labels({0, 1}, {1}, 3), std::invalid_argument);
  EXPECT_THROW(gan::data::interleaved_labels({0, 1}, {0, 0}, 3), std::invalid_argument);
  EXPECT_THROW(gan::data::interleaved_labels({0, 1}, {-1, 2}, 3), std::invalid_argument);
}

TEST(Random, DrawWithoutReplacementIsAPartialFisherYatesOfMt19937) {
  // The reference: the same shuffle written out, on the standard's mt19937_64.
  std::vector<int> pool(20);
  for (int i = 0; i < 20; ++i) pool[size_t(i)] = 100 + i;
  auto expected = pool;
  std::mt19937_64 rng(9);
  for (size_t i = 0; i < 7; ++i) {
    const size_t j = i + size_t(rng() % (expected.size() - i));
    std::swap(expected[i], expected[j]);
  }
  expected.resize(7);
  EXPECT_EQ(gan::data::draw_without_replacement(pool, 7, 9), expected);
  const auto all = gan::data::draw_without_replacement(pool, 20, 9);
  EXPECT_EQ(std::set<int>(all.begin(), all.end()), std::set<int>(pool.begin(), pool.end()));
  EXPECT_NE(all, pool);  // all of it, shuffled
  EXPECT_EQ(gan::data::draw_without_replacement(pool, 0, 9), pool);
  EXPECT_EQ(gan::data::draw_without_replacement(pool, 21, 9), pool);
  // FNV-1a's published 64-bit test vectors.
  EXPECT_EQ(gan::io::fnv1a(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(gan::io::fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(gan::io::fnv1a("bc", gan::io::fnv1a("a")), gan::io::fnv1a("abc"));
  EXPECT_EQ(gan::io::hex64(0xaf63dc4c8601ec8cull), "af63dc4c8601ec8c");
  // SplitMix64's finaliser, from its published constants: splitmix64(0)'s first output.
  EXPECT_EQ(gan::data::splitmix64_finalize(0x9E3779B97F4A7C15ull), 0xE220A8397B1DCDAFull);
}

TEST(Dihedral, EightDistinctSymmetriesAndTheMirrorFirstCode) {
  const auto x = at::arange(3 * 5 * 5, at::kLong).view({3, 5, 5}).to(at::kByte);
  std::vector<at::Tensor> all;
  for (int64_t c = 0; c < 8; ++c) {
    const auto y = gan::data::dihedral(x, c);
    // The definition, written out: rotate, then mirror left-right.
    auto expect = at::rot90(x, c % 4, {1, 2});
    if (c >= 4) expect = at::flip(expect, {2});
    EXPECT_TRUE(at::equal(y, expect)) << c;
    for (const auto& other : all) EXPECT_FALSE(at::equal(y, other)) << c;
    all.push_back(y);
    // Mirror first, then turn: what augmented_copies draws.
    for (bool mirror : {false, true}) {
      const auto first = mirror ? at::flip(x, {2}) : x;
      EXPECT_TRUE(at::equal(gan::data::dihedral(x, gan::data::dihedral_code(mirror, c)), at::rot90(first, c, {1, 2})))
          << mirror << " " << c;
    }
  }
  // A batch turns image by image the same way.
  const auto batch = at::stack({x, x});
  EXPECT_TRUE(at::equal(gan::data::dihedral(batch, 5)[1], all[5]));
}

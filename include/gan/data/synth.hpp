#pragma once
/// @file
/// The built-in dataset: procedurally drawn aerial tiles of suburban rooftops, some with solar
/// panels, from two regions that differ the way two real regions do (palette, roof styles, sun,
/// ground sampling distance). Needs only OpenCV (core, imgproc, imgcodecs), never libtorch.
///
/// A tile is a top-down view, north up, of about 29 m of ground (source region; ~0.3 m a pixel
/// at 96 px; `size` sets the resolution, not the area): lawn, maybe a street with sidewalk,
/// a driveway, cars, a pool, trees and one main house (rectangle or L, gable / hip / flat roof),
/// often with neighbours partly in frame. Label 1 puts 1 to 3 arrays of solar panels on the main
/// roof. Everything is drawn 3x (2x above 128 px) larger and reduced, then blurred slightly and
/// given sensor noise.
///
/// Every tile is a pure function of (seed, region, index, label), drawn with a PRNG of ours
/// (xoshiro256**, own uniform and normal), so it does not depend on the order tiles are made
/// nor on the standard library. The tiles of label 0 and 1 at one index show the same scene:
/// they differ only where the panels are.
///
/// The parts, each in include/gan/data/synth/: random.hpp (the generator), geometry.hpp (drawing
/// primitives, the scene), region.hpp (what makes the two regions differ), objects.hpp (roofs,
/// panels, trees, cars, pools), render.hpp (one tile, step by step). This file is the dataset.
///
/// ```cpp
/// gan::data::SynthOptions o{.count = 2000, .size = 64, .positive_ratio = 0.1,
///                           .region = gan::data::Region::target, .seed = 7};
/// auto n_pos = gan::data::write_synth_dataset("data/target", o);  // images/ + labels.csv
/// auto tile = gan::data::synth_tile(o, 0, 1);                      // one BGR cv::Mat
/// ```

#include <gan/data/synth/render.hpp>
#include <gan/io/atomic_file.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace gan::data {

/// Options of the synthetic dataset; designated initialisers read well:
/// `SynthOptions{.count = 500, .size = 64, .seed = 3}`.
struct SynthOptions {
  int64_t count = 1000;         ///< number of tiles (>= 0)
  int64_t size = 96;            ///< tile side in pixels (>= 32)
  double positive_ratio = 0.2;  ///< share of tiles with solar panels, in [0, 1]
  Region region = Region::source;
  uint64_t seed = 0;
};

/// One tile: `image` is CV_8UC3, BGR (OpenCV's order), size x size; `label` 1 = solar panels.
struct SynthTile {
  cv::Mat image;
  int label = 0;
};

namespace detail {

inline std::string to_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

/// Throws std::invalid_argument naming the bad option.
inline void check_options(const SynthOptions& o) {
  if (o.size < 32)
    throw std::invalid_argument("SynthOptions: size must be >= 32, got " + std::to_string(o.size));
  if (o.count < 0)
    throw std::invalid_argument("SynthOptions: count must be >= 0, got " + std::to_string(o.count));
  if (!(o.positive_ratio >= 0 && o.positive_ratio <= 1))
    throw std::invalid_argument("SynthOptions: positive_ratio must be in [0, 1], got " +
                                to_text(o.positive_ratio));
  if (o.region != Region::source && o.region != Region::target)
    throw std::invalid_argument("SynthOptions: unknown region " + std::to_string(int(o.region)));
}

}  // namespace detail

/// One tile, a pure function of (options.seed, options.region, index, label); `count` and
/// `positive_ratio` play no part. The tiles of label 0 and 1 at one index show the same scene,
/// with and without panels. Throws std::invalid_argument for bad options, a negative index or a
/// label other than 0 and 1.
inline SynthTile synth_tile(const SynthOptions& o, int64_t index, int label) {
  detail::check_options(o);
  if (index < 0)
    throw std::invalid_argument("synth_tile: index must be >= 0, got " + std::to_string(index));
  if (label != 0 && label != 1)
    throw std::invalid_argument("synth_tile: label must be 0 or 1, got " + std::to_string(label));
  const uint64_t base = detail::mix64(
      detail::mix64(detail::mix64(o.seed) ^ (uint64_t(o.region) + 0x51u)) ^ uint64_t(index));
  return {detail::render_tile(o.size, o.region, base, label), label};
}

/// The labels of the whole set: exactly round(count * positive_ratio) ones, at positions
/// shuffled (Fisher-Yates, our PRNG) by the seed alone.
inline std::vector<int> synth_labels(const SynthOptions& o) {
  detail::check_options(o);
  const auto n_pos = int64_t(std::llround(double(o.count) * o.positive_ratio));
  std::vector<int> labels(std::size_t(o.count), 0);
  std::fill(labels.begin(), labels.begin() + n_pos, 1);
  detail::SynthRng rng(detail::mix64(o.seed ^ 0x1ABE15ull));
  for (int64_t i = o.count - 1; i > 0; --i) {
    const auto j = int64_t(double(rng.next() >> 11) * 0x1.0p-53 * double(i + 1));
    std::swap(labels[std::size_t(i)], labels[std::size_t(std::min(j, i))]);
  }
  return labels;
}

/// Writes DIR/images/000000.png ... (6 digits, more past a million) and DIR/labels.csv, whose
/// file names (images/000000.png) are relative to DIR
/// ("filename,label" then one row a tile), creating the folders. Returns the number of
/// positives. Throws std::invalid_argument for bad options and std::runtime_error naming the
/// path when a folder or file cannot be written.
inline int64_t write_synth_dataset(const std::filesystem::path& dir, const SynthOptions& o) {
  detail::check_options(o);
  const auto images = dir / "images";
  std::error_code ec;
  std::filesystem::create_directories(images, ec);
  if (ec || !std::filesystem::is_directory(images))
    throw std::runtime_error("write_synth_dataset: cannot create folder " + images.string() +
                             (ec ? ": " + ec.message() : std::string()));
  const auto labels = synth_labels(o);
  std::string csv = "filename,label\n";
  int64_t positives = 0;
  for (int64_t i = 0; i < o.count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06lld.png", static_cast<long long>(i));
    const int label = labels[std::size_t(i)];
    const auto path = images / name;
    bool ok = false;
    try {
      ok = cv::imwrite(path.string(), synth_tile(o, i, label).image);
    } catch (const cv::Exception& e) {
      throw std::runtime_error("write_synth_dataset: cannot write " + path.string() + ": " +
                               e.what());
    }
    if (!ok) throw std::runtime_error("write_synth_dataset: cannot write " + path.string());
    csv += "images/" + std::string(name) + "," + std::to_string(label) + "\n";
    positives += label;
  }
  io::write_file_atomically(dir / "labels.csv", csv);
  return positives;
}

}  // namespace gan::data

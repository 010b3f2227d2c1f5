#pragma once
/// @file
/// A labelled image folder (images + a `filename,label` CSV), decoded once into a uint8
/// tensor and cached, so that a second run decodes no image. Needs OpenCV (target gan::io).

#include <gan/io/hash.hpp>
#include <gan/data/csv.hpp>
#include <gan/io/archive.hpp>
#include <gan/image/read.hpp>
#include <gan/io/string_tensor.hpp>

#include <ATen/ATen.h>
#include <torch/serialize/archive.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace gan::data {

/// What to do with a row whose image or label is bad.
enum class OnBad {
  error,  ///< throw `DataError` naming the file and line
  skip    ///< leave the row out, count it and keep its reason
};

/// Options of `load_image_folder`.
struct ImageFolderOptions {
  /// The folder the CSV's file names are relative to.
  std::filesystem::path data_dir;
  /// The CSV of file names and labels.
  std::filesystem::path labels;
  CsvOptions csv;
  int64_t image_size = 96;
  /// Classes; 0 means the number of distinct labels in the CSV. Labels must lie in [0, n).
  int64_t num_classes = 0;
  OnBad on_bad = OnBad::error;
  /// Where the decoded set is cached; empty for no cache.
  std::filesystem::path cache_dir;
  /// Decoding threads; 0 for the hardware's count.
  int64_t threads = 0;
};

/// A decoded labelled image set.
struct ImageFolder {
  /// [N, 3, S, S], uint8, RGB.
  at::Tensor images;
  /// [N], int64.
  at::Tensor labels;
  std::vector<std::string> filenames;
  int64_t num_classes = 0;
  /// Rows left out (OnBad::skip) and why, each "FILE:LINE: reason".
  std::vector<std::string> skipped;
  /// Images decoded by this call: 0 when the set came from the cache.
  int64_t decoded = 0;
  /// The cache file used or written (empty without a cache).
  std::filesystem::path cache_file;
  /// Why the cache file was not used though it was there (damaged: its checksum did not match,
  /// or unreadable); the set was decoded again and the cache rewritten. Empty otherwise.
  std::string cache_problem;

  /// Images as float in [-1, 1].
  at::Tensor images_float() const { return images.to(at::kFloat).div(127.5).sub(1.0); }
};

/// What identifies a decoded set's content, for a checkpoint's identity: the number of images
/// and a CRC-32 of the file names, the labels and the decoded pixels.
inline std::string fingerprint(const ImageFolder& d) {
  uint32_t crc = 0;
  for (const auto& f : d.filenames) crc = io::checksum32(f.data(), f.size() + 1, crc);
  const auto labels = d.labels.to(at::kLong).contiguous();
  crc = io::checksum32(labels.data_ptr(), size_t(labels.numel()) * sizeof(int64_t), crc);
  const auto images = d.images.contiguous();
  crc = io::checksum32(images.data_ptr(), size_t(images.nbytes()), crc);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc);
  return std::to_string(d.images.size(0)) + " images, " + std::to_string(d.num_classes) + " classes, crc " + hex;
}

namespace detail {
/// A key that changes when the CSV, the options or any listed image file (size, time) does.
inline std::string cache_key(const ImageFolderOptions& o, const std::vector<LabelRow>& rows) {
  std::ifstream in(o.labels, std::ios::binary);
  std::stringstream csv;
  csv << in.rdbuf();
  uint64_t h = io::fnv1a(csv.str());
  std::ostringstream meta;
  meta << std::filesystem::absolute(o.data_dir).string() << '|' << o.image_size << '|'
       << o.num_classes << '|' << int(o.on_bad) << '|' << o.csv.filename_column << '|'
       << o.csv.label_column << "|v1";
  h = io::fnv1a(meta.str(), h);
  for (const auto& r : rows) {
    std::error_code ec;
    const auto p = o.data_dir / r.filename;
    const auto size = std::filesystem::file_size(p, ec);
    const auto time = std::filesystem::last_write_time(p, ec).time_since_epoch().count();
    std::ostringstream s;
    s << r.filename << ':' << (ec ? -1 : int64_t(size)) << ':' << (ec ? 0 : time);
    h = io::fnv1a(s.str(), h);
  }
  return io::hex64(h);
}

inline void save_cache(const std::filesystem::path& file, const ImageFolder& d) {
  torch::serialize::OutputArchive a;
  a.write("images", d.images, true);
  a.write("labels", d.labels, true);
  a.write("filenames", io::string_tensor(d.filenames), true);
  a.write("skipped", io::string_tensor(d.skipped), true);
  a.write("num_classes", at::scalar_tensor(d.num_classes, at::kLong), true);
  io::save_archive(file, a);
}

inline bool load_cache(const std::filesystem::path& file, ImageFolder& d, std::string* problem) {
  if (!std::filesystem::exists(file)) return false;
  try {
    torch::serialize::InputArchive a;
    io::load_archive(file, a);
    at::Tensor names, skipped, n;
    a.read("images", d.images, true);
    a.read("labels", d.labels, true);
    a.read("filenames", names, true);
    a.read("skipped", skipped, true);
    a.read("num_classes", n, true);
    d.filenames = io::tensor_strings(names);
    d.skipped = io::tensor_strings(skipped);
    d.num_classes = n.item<int64_t>();
    return d.images.size(0) == int64_t(d.filenames.size());
  } catch (const std::exception& e) {
    *problem = e.what();  // a damaged or unreadable cache is rebuilt, not an error
    return false;
  }
}
}  // namespace detail

/// Reads the CSV, checks every label, decodes every image (in parallel) to
/// [N, 3, image_size, image_size] uint8, and caches the result in `cache_dir`. Bad rows and
/// images throw `DataError` naming the file and line, or are skipped and listed with
/// `OnBad::skip`. An empty result always throws.
inline ImageFolder load_image_folder(ImageFolderOptions o) {
  // A bare CSV name ("labels.csv") has an empty folder: the current one.
  if (o.data_dir.empty()) o.data_dir = ".";
  if (o.image_size < 4)
    throw std::invalid_argument("image size must be >= 4, got " + std::to_string(o.image_size));
  const std::string csv_name = o.labels.string();
  std::vector<DataError> bad_rows;
  auto rows = read_labels_csv(o.labels, o.csv, o.on_bad == OnBad::skip ? &bad_rows : nullptr);

  ImageFolder out;
  std::filesystem::path cache;
  if (!o.cache_dir.empty()) {
    cache = o.cache_dir / ("dataset-" + detail::cache_key(o, rows) + ".pt");
    std::string problem;
    if (detail::load_cache(cache, out, &problem)) {
      out.cache_file = cache;
      return out;
    }
    out = ImageFolder{};
    out.cache_problem = problem;
  }
  for (const auto& e : bad_rows) out.skipped.push_back(e.what());

  // Labels: range [0, n), n given or the number of distinct labels.
  std::set<int64_t> distinct;
  for (const auto& r : rows) distinct.insert(r.label);
  const int64_t n = o.num_classes > 0 ? o.num_classes : int64_t(distinct.size());
  std::vector<LabelRow> good;
  for (const auto& r : rows) {
    if (r.label >= 0 && r.label < n) {
      good.push_back(r);
      continue;
    }
    DataError e(csv_name, r.line,
                "label " + std::to_string(r.label) + " is out of range [0, " + std::to_string(n) +
                    ")" + (o.num_classes > 0 ? "" : " (n_classes defaults to the number of distinct labels)"));
    if (o.on_bad == OnBad::error) throw e;
    out.skipped.push_back(e.what());
  }

  // Decode in parallel; each row's error is kept and handled in row order.
  const int64_t count = int64_t(good.size()), s = o.image_size;
  auto images = at::empty({count, s, s, 3}, at::kByte);
  std::vector<std::string> errors(good.size());
  const int64_t threads = std::max<int64_t>(
      1, std::min<int64_t>(o.threads > 0 ? o.threads : std::thread::hardware_concurrency(), count));
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t i = t; i < count; i += threads) {
        try {
          const auto m = image::read_image_rgb(o.data_dir / good[i].filename, s);
          std::memcpy(images[i].data_ptr<uint8_t>(), m.data, size_t(s * s * 3));
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      }
    });
  for (auto& th : pool) th.join();

  std::vector<int64_t> keep, labels;
  for (int64_t i = 0; i < count; ++i) {
    if (errors[i].empty()) {
      keep.push_back(i);
      labels.push_back(good[i].label);
      out.filenames.push_back(good[i].filename);
      continue;
    }
    const std::string msg = errors[i] + " (" + csv_name + ":" + std::to_string(good[i].line) + ")";
    if (o.on_bad == OnBad::error) throw DataError(csv_name, good[i].line, errors[i]);
    out.skipped.push_back(msg);
  }
  if (keep.empty()) throw DataError(csv_name, 0, "the dataset is empty: no row has a usable image");
  out.images = images.index_select(0, at::tensor(keep, at::kLong)).permute({0, 3, 1, 2}).contiguous();
  out.labels = at::tensor(labels, at::kLong);
  out.num_classes = n;
  out.decoded = count;
  if (!cache.empty()) {
    detail::save_cache(cache, out);
    out.cache_file = cache;
  }
  return out;
}

}  // namespace gan::data

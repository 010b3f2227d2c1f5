#pragma once
/// @file
/// numpy's `.npy` arrays and `.npz` archives of them (stored, or deflated as
/// np.savez_compressed writes), read as float64 and written as '<f8' in a stored archive that
/// np.load reads. pytorch-fid keeps its statistics this way (mu, sigma).
///
/// @code
/// auto arrays = gan::io::read_npz("fid_stats.npz");      // "mu" -> {shape {2048}, values}
/// gan::io::write_npz("copy.npz", arrays);
/// @endcode

#include <gan/error.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/io/zip.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace gan::io {

/// An array of a `.npy` file, as float64 in C (row-major) order.
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

namespace detail::npy {
/// The value of `key` in the header dict, e.g. "'<f8'", "False", "(3, 4)".
inline std::string header_value(const std::string& header, const std::string& key) {
  const auto at = header.find("'" + key + "'");
  if (at == std::string::npos) throw std::runtime_error("its header has no '" + key + "'");
  auto p = header.find(':', at);
  if (p == std::string::npos) throw std::runtime_error("malformed header at '" + key + "'");
  ++p;
  while (p < header.size() && header[p] == ' ') ++p;
  if (p >= header.size()) throw std::runtime_error("malformed header at '" + key + "'");
  const char open = header[p];
  const char close = open == '(' ? ')' : open == '\'' ? '\'' : ',';
  const auto end = header.find(close, p + 1);
  if (end == std::string::npos) throw std::runtime_error("malformed header at '" + key + "'");
  return header.substr(p, end - p + (close == ',' ? 0 : 1));
}
}  // namespace detail::npy

/// Parses the bytes of a `.npy` file (format 1.0-3.0; dtypes f8, f4, i8, i4, little-endian, C
/// order). Throws std::runtime_error saying what is wrong; the caller adds the file's name.
inline NpyArray parse_npy(const std::string& bytes) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw std::runtime_error("not a .npy array (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3) throw std::runtime_error("unsupported .npy format version " + std::to_string(major));
  if (bytes.size() < 8 + len_bytes) throw std::runtime_error("truncated header");
  uint64_t header_len = 0;
  for (size_t k = 0; k < len_bytes; ++k) header_len |= uint64_t(static_cast<unsigned char>(bytes[8 + k])) << (8 * k);
  const size_t data_at = 8 + len_bytes + header_len;
  if (data_at > bytes.size()) throw std::runtime_error("truncated header");
  const std::string header = bytes.substr(8 + len_bytes, header_len);
  std::string descr = detail::npy::header_value(header, "descr");
  if (detail::npy::header_value(header, "fortran_order") != "False")
    throw std::runtime_error("Fortran-ordered arrays are not read (save a C-ordered one)");
  const std::string shape_text = detail::npy::header_value(header, "shape");
  NpyArray a;
  uint64_t count = 1;
  for (size_t p = 1; p + 1 < shape_text.size();) {
    while (p < shape_text.size() && (shape_text[p] == ' ' || shape_text[p] == ',')) ++p;
    if (p + 1 >= shape_text.size()) break;
    size_t used = 0;
    const long long v = std::stoll(shape_text.substr(p), &used);
    if (v < 0 || (v > 0 && count > (uint64_t(1) << 40) / uint64_t(v))) throw std::runtime_error("implausible shape " + shape_text);
    a.shape.push_back(v);
    count *= uint64_t(v);
    p += used;
  }
  if (descr.size() < 4 || descr.front() != '\'') throw std::runtime_error("malformed dtype " + descr);
  descr = descr.substr(1, descr.size() - 2);
  size_t width = 0;
  if (descr == "<f8" || descr == "<i8") width = 8;
  else if (descr == "<f4" || descr == "<i4") width = 4;
  else throw std::runtime_error("dtype " + descr + " is not read (float64, float32, int64 or int32, little-endian)");
  if ((bytes.size() - data_at) / width < count)
    throw std::runtime_error("truncated data: " + std::to_string(count) + " values of " + descr + " expected");
  a.values.resize(count);
  const char* d = bytes.data() + data_at;
  for (uint64_t i = 0; i < count; ++i, d += width) {
    if (descr == "<f8") { double v; std::memcpy(&v, d, 8); a.values[i] = v; }
    else if (descr == "<f4") { float v; std::memcpy(&v, d, 4); a.values[i] = v; }
    else if (descr == "<i8") { int64_t v; std::memcpy(&v, d, 8); a.values[i] = double(v); }
    else { int32_t v; std::memcpy(&v, d, 4); a.values[i] = double(v); }
  }
  return a;
}

/// The bytes of `a` as a `.npy` file: format 1.0, '<f8', C order.
inline std::string npy_bytes(const NpyArray& a) {
  uint64_t count = 1;
  for (auto s : a.shape) count *= uint64_t(s);
  if (count != a.values.size())
    throw std::invalid_argument("npy_bytes: " + std::to_string(a.values.size()) + " values for a shape of " + std::to_string(count));
  std::string shape = "(";
  for (auto s : a.shape) shape += std::to_string(s) + ", ";
  if (a.shape.size() > 1) shape.resize(shape.size() - 2);
  else if (a.shape.size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';  // numpy aligns the data to 64 bytes
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xFF);
  out += char((header.size() >> 8) & 0xFF);
  out += header;
  const size_t at = out.size();
  out.resize(at + 8 * a.values.size());
  std::memcpy(out.data() + at, a.values.data(), 8 * a.values.size());
  return out;
}

/// The arrays of a `.npz` file, by name (without ".npy"). Throws gan::Error naming the file.
inline std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw gan::Error(path.string(), 0, std::filesystem::exists(path, ec) ? "is not a file" : "does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw gan::Error(path.string(), 0, "cannot be opened");
  std::map<std::string, NpyArray> out;
  try {
    for (const auto& [name, entry] : read_zip_directory(in, std::filesystem::file_size(path))) {
      if (name.size() < 5 || name.compare(name.size() - 4, 4, ".npy") != 0) continue;
      try {
        out[name.substr(0, name.size() - 4)] = parse_npy(read_zip_entry(in, entry, name));
      } catch (const ZipError&) {
        throw;
      } catch (const std::exception& e) {
        throw std::runtime_error(name + ": " + e.what());
      }
    }
  } catch (const std::exception& e) {
    throw gan::Error(path.string(), 0, std::string("cannot read the .npz: ") + e.what());
  }
  return out;
}

/// Writes `arrays` to `path` as a `.npz` of stored '<f8' arrays (np.load reads it), atomically.
inline void write_npz(const std::filesystem::path& path, const std::map<std::string, NpyArray>& arrays) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& [name, a] : arrays) files.emplace_back(name + ".npy", npy_bytes(a));
  write_file_atomically(path, zip_stored(files));
}

}  // namespace gan::io

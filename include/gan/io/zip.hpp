#pragma once
/// @file
/// ZIP archives, as torch's `.pth` files and numpy's `.npz` files are: the central directory
/// (zip64 understood), an entry's bytes (stored, or deflated and inflated with zlib, its CRC-32
/// checked), and an archive of stored entries written whole.
///
/// @code
/// std::ifstream in("stats.npz", std::ios::binary);
/// const auto entries = gan::io::read_zip_directory(in, std::filesystem::file_size("stats.npz"));
/// std::string mu = gan::io::read_zip_entry(in, entries.at("mu.npy"), "mu.npy");
/// @endcode

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <istream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gan::io {

/// A malformed or truncated archive; the caller adds the file's name.
struct ZipError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A ZIP entry: where its data starts, how long it is, how it is compressed.
struct ZipEntry {
  uint64_t data_offset = 0;
  uint64_t size = 0;             ///< uncompressed
  uint64_t compressed_size = 0;  ///< as stored in the file
  int method = 0;                ///< 0 stored, 8 deflated
  uint32_t crc = 0;
};

namespace detail::zip {
inline uint64_t get_le(const char* p, int n) {
  uint64_t v = 0;
  for (int k = n; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(p[k]);
  return v;
}
inline void put_le(std::string& out, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) out.push_back(char((v >> (8 * k)) & 0xFF));
}
inline void read_exact(std::istream& in, char* dst, std::size_t n, const char* what) {
  if (n == 0) return;
  in.read(dst, static_cast<std::streamsize>(n));
  if (static_cast<std::size_t>(in.gcount()) != n)
    throw ZipError(std::string("truncated: the file ends inside ") + what);
}
}  // namespace detail::zip

/// Reads the central directory of a ZIP archive (zip64 understood): name -> entry.
inline std::map<std::string, ZipEntry> read_zip_directory(std::istream& in, uint64_t file_size) {
  using detail::zip::get_le;
  using detail::zip::read_exact;
  // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end.
  const uint64_t tail_len = std::min<uint64_t>(file_size, 22 + 65535);
  std::string tail(tail_len, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(file_size - tail_len));
  read_exact(in, tail.data(), tail_len, "the zip directory");
  std::size_t eocd = std::string::npos;
  for (std::size_t k = tail_len >= 22 ? tail_len - 22 + 1 : 0; k-- > 0;)
    if (get_le(tail.data() + k, 4) == 0x06054b50) {
      eocd = k;
      break;
    }
  if (eocd == std::string::npos)
    throw ZipError("truncated: no zip end-of-central-directory record (the file is cut short or is not a zip archive)");
  const char* e = tail.data() + eocd;
  uint64_t count = get_le(e + 10, 2), cd_size = get_le(e + 12, 4), cd_offset = get_le(e + 16, 4);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
    // zip64: the locator sits right before the end record and points at the zip64 end record.
    if (eocd < 20 || get_le(tail.data() + eocd - 20, 4) != 0x07064b50)
      throw ZipError("malformed zip: zip64 end-of-central-directory locator missing");
    const uint64_t rec = get_le(tail.data() + eocd - 20 + 8, 8);
    if (rec > file_size || file_size - rec < 56) throw ZipError("truncated: zip64 end record past the end of the file");
    std::array<char, 56> r{};
    in.seekg(static_cast<std::streamoff>(rec));
    read_exact(in, r.data(), 56, "the zip64 end record");
    if (get_le(r.data(), 4) != 0x06064b50) throw ZipError("malformed zip: bad zip64 end record");
    count = get_le(r.data() + 32, 8);
    cd_size = get_le(r.data() + 40, 8);
    cd_offset = get_le(r.data() + 48, 8);
  }
  if (cd_offset > file_size || cd_size > file_size - cd_offset)
    throw ZipError("truncated: the zip central directory lies past the end of the file");
  std::string cd(cd_size, '\0');
  in.seekg(static_cast<std::streamoff>(cd_offset));
  read_exact(in, cd.data(), cd_size, "the zip central directory");

  std::map<std::string, ZipEntry> entries;
  std::size_t p = 0;
  for (uint64_t n = 0; n < count; ++n) {
    if (p + 46 > cd.size() || get_le(cd.data() + p, 4) != 0x02014b50)
      throw ZipError("malformed zip: bad central directory entry " + std::to_string(n));
    const char* h = cd.data() + p;
    const int method = int(get_le(h + 10, 2));
    const uint32_t crc = uint32_t(get_le(h + 16, 4));
    uint64_t csize = get_le(h + 20, 4), usize = get_le(h + 24, 4);
    const std::size_t name_len = get_le(h + 28, 2), extra_len = get_le(h + 30, 2), comment_len = get_le(h + 32, 2);
    uint64_t local = get_le(h + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > cd.size())
      throw ZipError("malformed zip: central directory entry " + std::to_string(n) + " overruns");
    std::string name(h + 46, name_len);
    // zip64 extended information: only the fields whose 32-bit value is 0xFFFFFFFF, in order.
    for (std::size_t x = 0; x + 4 <= extra_len;) {
      const char* f = h + 46 + name_len + x;
      const uint64_t id = get_le(f, 2), len = get_le(f + 2, 2);
      if (x + 4 + len > extra_len) break;
      if (id == 0x0001) {
        std::size_t q = 4;
        auto next = [&](uint64_t& v) {
          if (v != 0xFFFFFFFF) return;
          if (q + 8 > 4 + len) throw ZipError("malformed zip: short zip64 extra field in " + name);
          v = get_le(f + q, 8);
          q += 8;
        };
        next(usize);
        next(csize);
        next(local);
      }
      x += 4 + len;
    }
    p += 46 + name_len + extra_len + comment_len;
    // The data follows the local header, whose extra field (torch pads to 64 bytes) may differ.
    std::array<char, 30> lh{};
    if (local > file_size || file_size - local < 30) throw ZipError("truncated: zip entry " + name + " lies past the end of the file");
    in.seekg(static_cast<std::streamoff>(local));
    read_exact(in, lh.data(), 30, "a zip local header");
    if (get_le(lh.data(), 4) != 0x04034b50) throw ZipError("malformed zip: bad local header of " + name);
    ZipEntry entry;
    entry.data_offset = local + 30 + get_le(lh.data() + 26, 2) + get_le(lh.data() + 28, 2);
    entry.size = usize;
    entry.compressed_size = csize;
    entry.method = method;
    entry.crc = crc;
    const uint64_t stored = method == 0 ? usize : csize;
    if (entry.data_offset > file_size || stored > file_size - entry.data_offset)
      throw ZipError("truncated: the data of zip entry " + name + " runs past the end of the file");
    entries[name] = entry;
  }
  return entries;
}

/// The bytes of `entry` (named `name` in errors): stored, or deflated (inflated here). Its
/// CRC-32 is checked: a damaged entry throws ZipError.
inline std::string read_zip_entry(std::istream& in, const ZipEntry& entry, const std::string& name) {
  if (entry.method != 0 && entry.method != 8)
    throw ZipError("zip entry " + name + ": unsupported compression method " + std::to_string(entry.method) +
                   " (stored and deflated are read)");
  const uint64_t stored = entry.method == 0 ? entry.size : entry.compressed_size;
  if (entry.size > (uint64_t(1) << 40)) throw ZipError("zip entry " + name + ": implausible size " + std::to_string(entry.size));
  std::string raw(stored, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(entry.data_offset));
  detail::zip::read_exact(in, raw.data(), raw.size(), "a zip entry");
  std::string out;
  if (entry.method == 0) {
    out = std::move(raw);
  } else {
    out.assign(entry.size, '\0');
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw ZipError("zip entry " + name + ": cannot start zlib");
    z.next_in = reinterpret_cast<Bytef*>(raw.data());
    z.avail_in = uInt(std::min<uint64_t>(raw.size(), UINT32_MAX));
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(std::min<uint64_t>(out.size(), UINT32_MAX));
    const int rc = inflate(&z, Z_FINISH);
    const uint64_t produced = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != entry.size)
      throw ZipError("zip entry " + name + ": the deflated data is damaged (zlib: " + std::to_string(rc) + ")");
  }
  const uint32_t crc = uint32_t(::crc32(0, reinterpret_cast<const Bytef*>(out.data()), uInt(out.size())));
  if (crc != entry.crc) throw ZipError("zip entry " + name + ": its CRC-32 does not match its data (damaged)");
  return out;
}

/// The bytes of a ZIP archive of `files` (name, bytes), stored (uncompressed), as numpy's
/// np.savez writes; entries must be smaller than 4 GiB.
inline std::string zip_stored(const std::vector<std::pair<std::string, std::string>>& files) {
  using detail::zip::put_le;
  std::string out, cd;
  for (const auto& [name, bytes] : files) {
    if (bytes.size() >= 0xFFFFFFFFull) throw std::invalid_argument("zip_stored: entry " + name + " is 4 GiB or more");
    const uint32_t crc = uint32_t(::crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
    const uint64_t local = out.size();
    auto header = [&](std::string& h, bool central) {
      put_le(h, central ? 0x02014b50 : 0x04034b50, 4);
      if (central) put_le(h, 20, 2);  // made by
      put_le(h, 20, 2);               // version needed
      put_le(h, 0, 2);                // flags
      put_le(h, 0, 2);                // stored
      put_le(h, 0, 2);                // time
      put_le(h, 0x21, 2);             // date: 1980-01-01
      put_le(h, crc, 4);
      put_le(h, bytes.size(), 4);
      put_le(h, bytes.size(), 4);
      put_le(h, name.size(), 2);
      put_le(h, 0, 2);  // extra
      if (central) {
        put_le(h, 0, 2);  // comment
        put_le(h, 0, 2);  // disk
        put_le(h, 0, 2);  // internal attributes
        put_le(h, 0, 4);  // external attributes
        put_le(h, local, 4);
      }
      h += name;
    };
    header(out, false);
    out += bytes;
    header(cd, true);
  }
  const uint64_t cd_offset = out.size();
  out += cd;
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, files.size(), 2);
  put_le(out, files.size(), 2);
  put_le(out, cd.size(), 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

}  // namespace gan::io

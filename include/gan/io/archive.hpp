#pragma once
/// @file
/// Torch archives (checkpoints, classifiers, features files, dataset caches) written atomically
/// with a checksum, and verified when read.
///
/// The file is torch's zip archive followed by a 20-byte trailer: "GANCRC1\n", the archive's
/// length (8 bytes, little-endian) and its CRC-32 (4 bytes, zlib's). Torch's own readers
/// (torch.load, torch::load) read the zip and ignore the trailer. PyTorch's zip reader skips
/// its CRC checks, so without the trailer a flipped byte in a tensor loads silently.
///
/// @code
/// torch::serialize::OutputArchive out;
/// out.write("w", weights, true);
/// gan::io::save_archive("model.pt", out);               // atomic; "cannot write …: No space left on device"
/// torch::serialize::InputArchive in;
/// gan::io::load_archive("model.pt", in);                // gan::io::ChecksumError when damaged
/// @endcode

#include <gan/error.hpp>
#include <gan/io/atomic_file.hpp>

#include <torch/serialize/archive.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace gan::io {

/// A file whose checksum does not match its contents: it was damaged after it was written.
class ChecksumError : public gan::Error {
 public:
  using gan::Error::Error;
};

/// The CRC-32 (zlib's, as Python's zlib.crc32) of `n` bytes, continuing from `crc`.
inline uint32_t checksum32(const void* data, size_t n, uint32_t crc = 0) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  while (n > 0) {  // zlib's length is an unsigned int
    const uInt chunk = uInt(std::min<size_t>(n, size_t(1) << 30));
    c = ::crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return uint32_t(c);
}

namespace detail {
inline constexpr std::string_view kArchiveTrailerMagic = "GANCRC1\n";
inline constexpr size_t kArchiveTrailerSize = 20;

inline std::array<char, kArchiveTrailerSize> archive_trailer(uint64_t length, uint32_t crc) {
  std::array<char, kArchiveTrailerSize> t{};
  std::copy(kArchiveTrailerMagic.begin(), kArchiveTrailerMagic.end(), t.begin());
  for (int i = 0; i < 8; ++i) t[size_t(8 + i)] = char((length >> (8 * i)) & 0xFF);
  for (int i = 0; i < 4; ++i) t[size_t(16 + i)] = char((crc >> (8 * i)) & 0xFF);
  return t;
}
}  // namespace detail

/// Writes `archive` to `path` atomically, with the checksum trailer. A failed write (a full
/// disk) leaves `path` as it was and throws std::runtime_error "cannot write PATH: REASON".
inline void save_archive(const std::filesystem::path& path, torch::serialize::OutputArchive& archive) {
  write_atomically(path, [&](FileSink& sink) {
    uint32_t crc = 0;
    uint64_t length = 0;
    archive.save_to([&](const void* data, size_t n) -> size_t {
      crc = checksum32(data, n, crc);
      length += n;
      return sink.write(data, n);
    });
    const auto trailer = detail::archive_trailer(length, crc);
    sink.write(trailer.data(), trailer.size());
  });
}

/// How `load_archive` found a file.
enum class ArchiveCheck {
  verified,   ///< its checksum matches
  unchecked,  ///< it has no checksum (written before they existed, or by torch itself)
};

/// Reads `path` into `archive`, verifying the checksum when the file has one. Throws
/// gan::Error naming the file when it is missing or unreadable, and ChecksumError when its
/// checksum does not match.
inline ArchiveCheck load_archive(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                                 c10::optional<torch::Device> device = c10::nullopt) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw gan::Error(path.string(), 0,
                     std::filesystem::exists(path, ec) ? "is not a file" : "does not exist");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw gan::Error(path.string(), 0, "cannot be read");
  size_t length = bytes.size();
  ArchiveCheck check = ArchiveCheck::unchecked;
  if (bytes.size() >= detail::kArchiveTrailerSize &&
      std::string_view(bytes).substr(bytes.size() - detail::kArchiveTrailerSize, detail::kArchiveTrailerMagic.size()) ==
          detail::kArchiveTrailerMagic) {
    const char* t = bytes.data() + bytes.size() - detail::kArchiveTrailerSize;
    uint64_t stored_length = 0;
    uint32_t stored_crc = 0;
    for (int i = 0; i < 8; ++i) stored_length |= uint64_t(uint8_t(t[8 + i])) << (8 * i);
    for (int i = 0; i < 4; ++i) stored_crc |= uint32_t(uint8_t(t[16 + i])) << (8 * i);
    length = bytes.size() - detail::kArchiveTrailerSize;
    if (stored_length != length)
      throw ChecksumError(path.string(), 0,
                          "is damaged: it should hold " + std::to_string(stored_length) + " bytes before its checksum, but holds " +
                              std::to_string(length) + " (truncated or appended to)");
    const uint32_t crc = checksum32(bytes.data(), length);
    if (crc != stored_crc)
      throw ChecksumError(path.string(), 0,
                          "is damaged: its contents do not match the checksum written with them (CRC-32 " +
                              std::to_string(crc) + ", written " + std::to_string(stored_crc) + ")");
    check = ArchiveCheck::verified;
  }
  try {
    archive.load_from(bytes.data(), length, device);
  } catch (const c10::Error& e) {
    throw gan::Error(path.string(), 0, std::string("is not a readable torch archive: ") + e.what_without_backtrace());
  }
  return check;
}

}  // namespace gan::io

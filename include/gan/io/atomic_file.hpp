#pragma once
/// @file
/// Writing files atomically: a reader sees the old file or the new one, never half of one.
/// Checkpoints, images, plots and CSV logs are all written this way.

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gan::io {

/// Calls `write(tmp)` to write a temporary file beside `path`, flushes it to disk and renames
/// it over `path`, creating parent folders. If anything fails, `path` is untouched, the
/// temporary file is removed, and the error (std::runtime_error naming `path`, or what `write`
/// threw) propagates.
inline void write_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::string& tmp)>& write) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw std::runtime_error("cannot create the folder of " + path.string() + ": " + ec.message());
  }
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp.string());
    const int fd = ::open(tmp.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot write " + path.string());
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw std::runtime_error("cannot flush " + path.string() + " to disk");
    fs::rename(tmp, path, ec);
    if (ec) throw std::runtime_error("cannot write " + path.string() + ": " + ec.message());
  } catch (...) {
    std::error_code ignored;
    if (!fs::is_directory(tmp, ignored)) fs::remove(tmp, ignored);
    throw;
  }
}

/// Writes `bytes` to `path` atomically.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
  });
}

}  // namespace gan::io

#pragma once
/// @file
/// Writing a file atomically: a checkpoint is either the old one or the new one, never half.

#include <c10/util/Exception.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

namespace gan {

/// Calls `write(tmp)` to write a temporary file beside `path`, flushes it to disk and renames
/// it over `path`. If `write` throws, `path` is untouched and the temporary file is removed.
inline void write_atomically(const std::filesystem::path& path,
                             const std::function<void(const std::string&)>& write) {
  namespace fs = std::filesystem;
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp.string());
    const int fd = ::open(tmp.c_str(), O_RDONLY);
    TORCH_CHECK(fd >= 0, "cannot reopen ", tmp.string(), " to flush it");
    const int rc = ::fsync(fd);
    ::close(fd);
    TORCH_CHECK(rc == 0, "cannot flush ", tmp.string(), " to disk");
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace gan

#pragma once
/// @file
/// Writing files atomically: a reader sees the old file or the new one, never half of one.
/// Checkpoints, images, plots, caches and CSV tables are all written this way. A failed write
/// (a full disk) removes its temporary file and says why with the path; the temporary files of
/// processes that were killed are removed by `remove_stale_temporaries`.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gan::io {

namespace detail {
using WriteFn = ssize_t (*)(int, const void*, size_t);
/// The write(2) that every `FileSink` calls. A test may point it elsewhere to inject a failure
/// (e.g. ENOSPC after some bytes); it is ::write otherwise.
inline WriteFn& write_hook() {
  static WriteFn fn = ::write;
  return fn;
}
}  // namespace detail

/// The suffix of a temporary file or folder beside its target: ".tmp.PID", this process's by
/// default. `remove_stale_temporaries` removes those of processes that no longer exist.
inline std::string temporary_suffix(long pid = long(::getpid())) { return ".tmp." + std::to_string(pid); }

/// Bytes to an open file. It never throws and always reports the whole count written, so that a
/// writer that cannot survive an error mid-stream runs to its end (torch's zip writer aborts the
/// process when a write error is followed by its destructor's own write); the first error
/// is kept, later bytes are dropped, and `write_atomically` reports it.
class FileSink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  size_t write(const void* data, size_t n) noexcept {
    const char* p = static_cast<const char*>(data);
    for (size_t left = n; error_ == 0 && left > 0;) {
      const ssize_t w = detail::write_hook()(fd_, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error_ = w < 0 ? errno : EIO;
        break;
      }
      p += w;
      left -= size_t(w);
      written_ += uint64_t(w);
    }
    return n;
  }
  size_t write(std::string_view bytes) noexcept { return write(bytes.data(), bytes.size()); }
  /// The first write's errno, 0 when every byte went out.
  int error() const noexcept { return error_; }
  uint64_t bytes_written() const noexcept { return written_; }

 private:
  int fd_;
  int error_ = 0;
  uint64_t written_ = 0;
};

/// Calls `write(sink)` to write a temporary file beside `path` (`path.tmp.PID`), flushes it to
/// disk and renames it over `path`, creating parent folders. If anything fails, `path` is
/// untouched, the temporary file is removed, and std::runtime_error says "cannot write PATH:
/// REASON" (e.g. "No space left on device"), or what `write` threw propagates.
inline void write_atomically(const std::filesystem::path& path, const std::function<void(FileSink&)>& write) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create the folder of " + path.string() + ": " + ec.message());
  }
  const fs::path tmp = path.string() + temporary_suffix();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  auto remove_tmp = [&] {
    std::error_code ignored;
    fs::remove(tmp, ignored);
  };
  int error = 0;
  try {
    FileSink sink(fd);
    write(sink);
    error = sink.error();
  } catch (...) {
    ::close(fd);
    remove_tmp();
    throw;
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    remove_tmp();
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(error));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    remove_tmp();
    throw std::runtime_error("cannot write " + path.string() + ": " + ec.message());
  }
}

/// Writes `bytes` to `path` atomically.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_atomically(path, [&](FileSink& sink) { sink.write(bytes); });
}

/// Removes, under `dir` (recursively), the temporary files and folders `NAME.tmp.PID` that
/// `write_atomically` or `replace_folder`'s callers left when their process was killed: those
/// whose process no longer exists. With `stem`, only those of `stem.tmp.PID`, and only in `dir`
/// itself (for a folder that is not the caller's own, as /tmp). Returns the paths removed.
inline std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& dir,
                                                                   const std::string& stem = "") {
  namespace fs = std::filesystem;
  std::vector<fs::path> removed;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return removed;
  auto stale = [&](const std::string& name) {
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0 || at + 5 >= name.size()) return false;
    if (!stem.empty() && name.substr(0, at) != stem) return false;
    const std::string pid = name.substr(at + 5);
    if (pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
    const long p = std::stol(pid);
    if (p <= 0 || p == long(::getpid())) return false;
    return ::kill(pid_t(p), 0) != 0 && errno == ESRCH;  // gone (EPERM: alive, another user's)
  };
  auto visit = [&](auto& it) {
    const fs::path p = it->path();
    if (!stale(p.filename().string())) return;
    std::error_code rm;
    if (it->is_directory(rm)) {
      if constexpr (requires { it.disable_recursion_pending(); }) it.disable_recursion_pending();
      fs::remove_all(p, rm);
    } else {
      fs::remove(p, rm);
    }
    if (!rm) removed.push_back(p);
  };
  if (stem.empty()) {
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      visit(it);
  } else {
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) visit(it);
  }
  return removed;
}

/// Replaces the folder `target` by `fresh`, a complete folder beside it: the old `target` is
/// renamed aside, `fresh` renamed to `target`, and the old one removed, so `target` is never a
/// mix of the two. Throws std::runtime_error naming the folders when a rename fails.
inline void replace_folder(const std::filesystem::path& target, const std::filesystem::path& fresh) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path old = target.string() + ".old" + temporary_suffix();
  const bool had = fs::exists(target, ec);
  if (had) {
    fs::rename(target, old, ec);
    if (ec) throw std::runtime_error("cannot replace " + target.string() + ": " + ec.message());
  }
  fs::rename(fresh, target, ec);
  if (ec) {
    std::error_code ignored;
    if (had) fs::rename(old, target, ignored);
    throw std::runtime_error("cannot move " + fresh.string() + " to " + target.string() + ": " + ec.message());
  }
  if (had) fs::remove_all(old, ec);
}

}  // namespace gan::io

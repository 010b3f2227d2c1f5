#pragma once
/// @file
/// The error of bad input data: it names the file and, where there is one, the line.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace gan::data {

/// Bad input from a user's files: a missing or corrupt image, a malformed CSV row, an
/// out-of-range label. `what()` reads "FILE:LINE: MESSAGE" (or "FILE: MESSAGE").
class DataError : public std::runtime_error {
 public:
  DataError(std::string file, int64_t line, const std::string& message)
      : std::runtime_error(file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " +
                           message),
        file_(std::move(file)),
        line_(line) {}
  const std::string& file() const noexcept { return file_; }
  /// 1-based line of the CSV, or 0 when the error is not about a line.
  int64_t line() const noexcept { return line_; }

 private:
  std::string file_;
  int64_t line_;
};

}  // namespace gan::data

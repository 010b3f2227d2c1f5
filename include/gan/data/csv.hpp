#pragma once
/// @file
/// Reading a labels CSV: `filename,label` rows (the paper's format), an optional header, and
/// columns chosen by name or index.

#include <gan/data/error.hpp>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace gan::data {

/// One labelled image.
struct LabelRow {
  std::string filename;
  int64_t label = 0;
  /// The 1-based line of the CSV it came from.
  int64_t line = 0;
};

/// Which columns hold the file name and the label: a header name, or a 0-based index.
struct CsvOptions {
  std::string filename_column = "0";
  std::string label_column = "1";
};

namespace detail {
/// Splits one CSV line; fields may be double-quoted ("a,b" and "" inside quotes).
inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  for (auto& f : out) {
    const auto b = f.find_first_not_of(" \t"), e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? std::string() : f.substr(b, e - b + 1);
  }
  return out;
}

inline std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

inline bool is_index(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}
}  // namespace detail

/// Reads `path`. A first row whose label field is not an integer and whose file field has no
/// extension is a header; a header is required when a column is chosen by name. Blank lines are skipped. A row with too few columns, an
/// empty file name or a label that is not an integer throws `DataError` naming the file and
/// line, or, when `bad_rows` is given, is appended there and skipped. A file that cannot be
/// read, a header without the named columns, and a file with no good rows always throw.
inline std::vector<LabelRow> read_labels_csv(const std::filesystem::path& path,
                                             const CsvOptions& options = {},
                                             std::vector<DataError>* bad_rows = nullptr) {
  const std::string file = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw DataError(file, 0, "is a folder; give the labels CSV (filename,label) in it, e.g. " + (path / "labels.csv").string());
  std::ifstream in(path);
  if (!in) throw DataError(file, 0, std::filesystem::exists(path, ec) ? "cannot open the labels file" : "the labels file does not exist");
  std::vector<LabelRow> rows;
  std::string line;
  int64_t number = 0;
  std::optional<size_t> fcol, lcol;
  if (detail::is_index(options.filename_column)) fcol = std::stoul(options.filename_column);
  if (detail::is_index(options.label_column)) lcol = std::stoul(options.label_column);
  bool first = true;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (first && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    auto fields = detail::split_csv_line(line);
    if (first) {
      first = false;
      const bool named = !fcol || !lcol;
      // A header when columns are named, or when the label field is not an integer and the
      // file field names no file (no extension): "filename,label", not "a.png,zero".
      const bool header =
          named || (*lcol < fields.size() && !detail::parse_int(fields[*lcol]) &&
                    (*fcol >= fields.size() || fields[*fcol].find('.') == std::string::npos));
      if (header) {
        auto find = [&](const std::string& name, std::optional<size_t>& col) {
          if (col) return;
          for (size_t i = 0; i < fields.size(); ++i)
            if (fields[i] == name) col = i;
          if (!col) throw DataError(file, number, "no column named '" + name + "' in the header");
        };
        find(options.filename_column, fcol);
        find(options.label_column, lcol);
        continue;
      }
    }
    auto bad = [&](const std::string& message) {
      DataError e(file, number, message);
      if (!bad_rows) throw e;
      bad_rows->push_back(std::move(e));
    };
    const size_t need = std::max(*fcol, *lcol) + 1;
    if (fields.size() < need) {
      bad("expected at least " + std::to_string(need) + " columns, got " +
          std::to_string(fields.size()));
      continue;
    }
    const auto& name = fields[*fcol];
    const auto label = detail::parse_int(fields[*lcol]);
    if (name.empty()) {
      bad("the file name is empty");
    } else if (!label) {
      bad("label '" + fields[*lcol] + "' is not an integer");
    } else {
      rows.push_back({name, *label, number});
    }
  }
  if (rows.empty()) throw DataError(file, 0, "the labels file has no usable rows");
  return rows;
}

}  // namespace gan::data

#pragma once
/// @file
/// The CSV tables the method writes (results, summaries, scores, distances): a header line and
/// rows of comma-separated fields, no quoting. `read_table` gives the rows by column name and
/// throws `gan::Error` naming the file and line of a missing column, a short row or a value
/// that is not a number; `format_row` writes one line. Each output table is a struct with
/// `write` and `read` on these (e.g. `gan::experiment::Summary`, `gan::metrics::DistanceTable`).

#include <gan/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace gan::io {

/// The number a whole string spells ("nan" and "inf" included), or nothing: no leading or
/// trailing characters, not empty.
inline std::optional<double> to_number(const std::string& v) {
  size_t used = 0;
  double x = NAN;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (v.empty() || used != v.size()) return std::nullopt;
  return x;
}

/// Splits a line of such a table into its fields (a trailing comma ends in an empty field).
inline std::vector<std::string> table_fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream s(line);
  for (std::string f; std::getline(s, f, ',');) out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

/// One row of a table: its cells by column name, and where it came from.
struct CsvRow {
  std::filesystem::path file;
  int64_t line = 0;
  std::map<std::string, std::string> cells;

  /// The cell of `column` ("" when the table has no such column).
  const std::string& operator[](const std::string& column) const {
    static const std::string empty;
    const auto it = cells.find(column);
    return it == cells.end() ? empty : it->second;
  }
  /// The cell as a number ("nan" and "inf" read as such); throws naming the file and line.
  double number(const std::string& column) const {
    const auto& v = (*this)[column];
    const auto x = to_number(v);
    if (!x) throw Error(file.string(), line, "column '" + column + "': '" + v + "' is not a number");
    return *x;
  }
  /// The cell as a number, or `fallback` when it is empty.
  double number_or(const std::string& column, double fallback) const {
    return (*this)[column].empty() ? fallback : number(column);
  }
  int64_t integer(const std::string& column) const {
    const double x = number(column);
    if (!(std::floor(x) == x)) throw Error(file.string(), line, "column '" + column + "': '" + (*this)[column] + "' is not an integer");
    return int64_t(x);
  }
};

/// A table file's header and rows. Throws `gan::Error` when the file cannot be read, a column of
/// `needed` is missing or a row has another number of fields than the header.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;

  bool has(const std::string& column) const { return std::find(header.begin(), header.end(), column) != header.end(); }
};

inline CsvTable read_table(const std::filesystem::path& file, const std::vector<std::string>& needed = {}) {
  std::ifstream in(file);
  if (!in) throw Error(file.string(), 0, "cannot open the table");
  CsvTable t;
  std::string line;
  if (!std::getline(in, line)) throw Error(file.string(), 1, "the table is empty");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  t.header = table_fields(line);
  for (const auto& n : needed)
    if (!t.has(n)) throw Error(file.string(), 1, "no column '" + n + "'");
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = table_fields(line);
    if (f.size() != t.header.size())
      throw Error(file.string(), number, std::to_string(f.size()) + " fields, the header has " + std::to_string(t.header.size()));
    CsvRow row{file, number, {}};
    for (size_t i = 0; i < f.size(); ++i) row.cells[t.header[i]] = f[i];
    t.rows.push_back(std::move(row));
  }
  return t;
}

/// Joins `fields` with commas (a table line, without its newline).
inline std::string format_row(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out;
}

/// A number as the tables write it: `digits` significant digits ("nan" for NaN).
inline std::string table_number(double v, int digits = 6) {
  std::ostringstream o;
  o.precision(digits);
  o << v;
  return o.str();
}

}  // namespace gan::io

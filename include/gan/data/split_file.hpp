#pragma once
/// @file
/// The one split of a labelled set, made once and written down: `split.csv` with
/// `filename,label,part` rows (part: train, val or test). The pipeline makes it before any
/// stage sees the data, so that classification, clustering and the GANs see only the training
/// part and the oversampling experiment's validation and test parts stay unseen (no leak).
///
/// @code
///   auto rows = gan::data::read_labels_csv("labels.csv");
///   auto split = gan::data::make_split(rows, {0.7, 0.2, 0.1}, seed);   // stratified
///   gan::data::write_split_csv("split.csv", split);
///   auto back = gan::data::read_split_csv("split.csv");
/// @endcode

#include <gan/data/csv.hpp>
#include <gan/data/split.hpp>
#include <gan/io/atomic_file.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace gan::data {

/// The parts of a split, in the order of its fractions.
inline const std::array<std::string, 3>& split_parts() {
  static const std::array<std::string, 3> names{"train", "val", "test"};
  return names;
}

/// One row of split.csv.
struct SplitRow {
  std::string filename;
  int64_t label = 0;
  std::string part;  ///< train, val or test
};

/// Splits `rows` stratified by label into train/val/test with `fractions` (summing to 1),
/// deterministic for `seed` (`stratified_split`). Rows keep their order.
inline std::vector<SplitRow> make_split(const std::vector<LabelRow>& rows,
                                        const std::vector<double>& fractions, uint64_t seed) {
  if (fractions.size() != 3)
    throw std::invalid_argument("make_split: expected 3 fractions (train, val, test), got " +
                                std::to_string(fractions.size()));
  std::vector<int64_t> labels;
  for (const auto& r : rows) labels.push_back(r.label);
  const auto parts = stratified_split(labels, fractions, seed);
  std::vector<SplitRow> out(rows.size());
  for (size_t p = 0; p < parts.size(); ++p)
    for (auto i : parts[p]) out[size_t(i)] = {rows[size_t(i)].filename, rows[size_t(i)].label, split_parts()[p]};
  return out;
}

/// Writes split.csv (header `filename,label,part`) atomically.
inline void write_split_csv(const std::filesystem::path& path, const std::vector<SplitRow>& rows) {
  std::ostringstream o;
  o << "filename,label,part\n";
  for (const auto& r : rows) o << r.filename << ',' << r.label << ',' << r.part << '\n';
  io::write_file_atomically(path, o.str());
}

/// The rows of one part as a `filename,label` CSV, which every subcommand reads.
inline void write_part_csv(const std::filesystem::path& path, const std::vector<SplitRow>& rows,
                           const std::string& part) {
  std::ostringstream o;
  o << "filename,label\n";
  for (const auto& r : rows)
    if (r.part == part) o << r.filename << ',' << r.label << '\n';
  io::write_file_atomically(path, o.str());
}

/// Reads split.csv. A part that is not train, val or test, a file listed twice, or a file
/// without a usable row throws `DataError` naming the file and line.
inline std::vector<SplitRow> read_split_csv(const std::filesystem::path& path) {
  const auto rows = read_labels_csv(path, {"filename", "label"});
  // The part column: read again by name (read_labels_csv keeps two columns).
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  const auto header = detail::split_csv_line(line);
  size_t part_col = header.size();
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == "part") part_col = i;
  if (part_col == header.size()) throw DataError(path.string(), 1, "no 'part' column (expected filename,label,part)");
  std::map<int64_t, std::string> part_of_line;
  for (int64_t number = 2; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto f = detail::split_csv_line(line);
    if (f.size() > part_col) {
      auto p = f[part_col];
      while (!p.empty() && (p.back() == '\r' || p.back() == ' ')) p.pop_back();
      part_of_line[number] = p;
    }
  }
  std::vector<SplitRow> out;
  std::set<std::string> seen;
  for (const auto& r : rows) {
    const auto it = part_of_line.find(r.line);
    const std::string part = it == part_of_line.end() ? "" : it->second;
    if (std::find(split_parts().begin(), split_parts().end(), part) == split_parts().end())
      throw DataError(path.string(), r.line, "part '" + part + "' is not train, val or test");
    if (!seen.insert(r.filename).second)
      throw DataError(path.string(), r.line, "'" + r.filename + "' is listed twice");
    out.push_back({r.filename, r.label, part});
  }
  return out;
}

/// The parts (train, val, test) of a set's rows as `split.csv` assigns them: indices into
/// `filenames`, one list per part of `split_parts()`. Throws std::invalid_argument naming the
/// file and the first row of the set that the split does not hold.
inline std::vector<std::vector<int64_t>> parts_of(const std::filesystem::path& split_csv,
                                                  const std::vector<std::string>& filenames) {
  std::map<std::string, size_t> part_of;
  for (const auto& row : read_split_csv(split_csv)) {
    const auto at = std::find(split_parts().begin(), split_parts().end(), row.part);
    part_of[row.filename] = size_t(at - split_parts().begin());
  }
  std::vector<std::vector<int64_t>> parts(split_parts().size());
  for (size_t i = 0; i < filenames.size(); ++i) {
    const auto it = part_of.find(filenames[i]);
    if (it == part_of.end()) throw std::invalid_argument(split_csv.string() + " has no row for '" + filenames[i] + "'");
    parts[it->second].push_back(int64_t(i));
  }
  return parts;
}

}  // namespace gan::data

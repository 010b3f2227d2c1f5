#pragma once
/// @file
/// The one INI reader: `[section]` headers and `key = value` lines, `#` or `;` comments (a
/// whole line, or after a value behind a space), keys read with '_' as '-' (the paper's
/// spellings). Entries before the first header belong to the section "". A malformed line, a
/// header without its ']' or a key given twice in a section throws `gan::Error` naming the file
/// and line. The configuration files of the tool and the files the method writes next to its
/// outputs (classifier.ini, a GAN's config.ini) are all read by it.

#include <gan/error.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gan::io {

struct IniEntry {
  std::string key, value;
  int64_t line = 0;
};

/// An INI file: its sections (entries in file order) and its text.
struct Ini {
  std::filesystem::path file;
  std::string text;
  std::map<std::string, std::vector<IniEntry>> sections;

  bool has(const std::string& section) const { return sections.count(section) > 0; }
  const IniEntry* find(const std::string& section, const std::string& key) const {
    const auto it = sections.find(section);
    if (it == sections.end()) return nullptr;
    for (const auto& e : it->second)
      if (e.key == key) return &e;
    return nullptr;
  }
  std::string get(const std::string& section, const std::string& key, const std::string& fallback = "") const {
    const auto* e = find(section, key);
    return e ? e->value : fallback;
  }
  /// "FILE:LINE" of an entry (just FILE when it is not there).
  std::string where(const std::string& section, const std::string& key) const {
    const auto* e = find(section, key);
    return file.string() + (e ? ":" + std::to_string(e->line) : std::string());
  }
};

/// `s` without its leading and trailing blanks (spaces, tabs, carriage returns).
inline std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

/// Parses INI text; `file` names it in errors.
inline Ini parse_ini(const std::string& text, const std::filesystem::path& file) {
  Ini ini;
  ini.file = file;
  ini.text = text;
  // A UTF-8 byte-order mark (as Windows editors write) is not part of the first key.
  std::istringstream in(text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text);
  std::string section, line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    for (const char* mark : {" #", "\t#", " ;", "\t;"})
      if (auto at = line.find(mark); at != std::string::npos) line = line.substr(0, at);
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') throw Error(file.string(), number, "bad section header '" + line + "'");
      section = trim(line.substr(1, line.size() - 2));
      ini.sections[section];
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || trim(line.substr(0, eq)).empty())
      throw Error(file.string(), number, "expected 'key = value', got '" + line + "'");
    std::string key = trim(line.substr(0, eq));
    std::replace(key.begin(), key.end(), '_', '-');
    auto& entries = ini.sections[section];
    for (const auto& e : entries)
      if (e.key == key)
        throw Error(file.string(), number, "'" + key + "' is already set" + (section.empty() ? "" : " in [" + section + "]") +
                                               " at line " + std::to_string(e.line));
    entries.push_back({key, trim(line.substr(eq + 1)), number});
  }
  return ini;
}

/// Reads an INI file; throws `gan::Error` when it cannot be read or is malformed.
inline Ini read_ini(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw Error(file.string(), 0, "is a folder, not an INI file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string(), 0, std::filesystem::exists(file, ec) ? "cannot open the file" : "does not exist");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ini(text.str(), file);
}

}  // namespace gan::io

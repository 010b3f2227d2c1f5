#pragma once
/// @file
/// An experiment report written twice with the same content: `report.md` (images linked
/// relative to the report's folder) and a self-contained `report.html` (inline CSS, images
/// embedded as data: URIs, no external resource), each written atomically. Standard library
/// only: no OpenCV, no libtorch.
///
/// ```cpp
/// gan::report::Table results{{"GAN", "accuracy", "FID"},
///                        {{{"cgan"}, {"0.812 ± 0.010"}, {"41.2"}},
///                         {{"acgan"}, {"0.795 ± 0.021"}, {"38.7"}}},
///                        "Classifier accuracy over 5 seeds"};
/// gan::report::mark_best(results, 1);         // the highest accuracy
/// gan::report::mark_best(results, 2, false);  // the lowest FID
/// gan::report::Report report("Rooftop solar panels");
/// report.heading("Results").table(results)
///     .heading("Samples").images({{"runs/cgan/samples/epoch_40.png", "cgan"},
///                                 {"runs/acgan/samples/epoch_40.png", "acgan"}})
///     .heading("Configuration").code(config_text, "ini");
/// report.write("runs");  // runs/report.md and runs/report.html
/// ```

#include <gan/io/atomic_file.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace gan::report {

/// One cell of a Table: its text as shown, and whether it is the best of its column
/// (bold in Markdown, bold and highlighted in HTML).
struct Cell {
  std::string text;
  bool best = false;
};

/// A table of a report: a header row, body rows (they may be shorter than the header; missing
/// cells are empty) and an optional caption.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
  std::string caption;
};

/// `bytes` in base64 (RFC 4648 §4: the standard alphabet, padded with '=').
inline std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = (unsigned(static_cast<unsigned char>(bytes[i])) << 16) |
                   (unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   unsigned(static_cast<unsigned char>(bytes[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned n = unsigned(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// `text` with the five characters that HTML gives a meaning to (& < > " ') replaced by
/// entities, safe in element content and in quoted attribute values.
inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace detail {

/// The number that `text` starts with (after blanks; a leading '+', '-' or U+2212 minus sign
/// allowed), if it is finite and not followed directly by a letter or digit: "0.812 ± 0.010"
/// gives 0.812, "-3", "85.2 %" and "1e-3" their values, "n/a", "12abc" and "inf" nothing.
inline std::optional<double> leading_number(std::string_view text) {
  std::size_t i = text.find_first_not_of(" \t");
  if (i == std::string_view::npos) return std::nullopt;
  text.remove_prefix(i);
  bool negative = false;
  if (text.starts_with("\xE2\x88\x92")) {  // U+2212 MINUS SIGN
    negative = true;
    text.remove_prefix(3);
  } else if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() ||
      !(std::isdigit(static_cast<unsigned char>(text.front())) || text.front() == '.'))
    return std::nullopt;  // also rejects "inf", "nan" and a second sign
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
  if (end != text.data() + text.size() && std::isalnum(static_cast<unsigned char>(*end)))
    return std::nullopt;
  return negative ? -value : value;
}

/// The MIME type of an image file from its extension (png, jpg/jpeg, svg, gif, webp, any case);
/// throws std::invalid_argument naming the file for another extension.
inline std::string image_mime_type(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  throw std::invalid_argument("report image " + file.string() +
                              ": expected a .png, .jpg, .jpeg, .svg, .gif or .webp file");
}

/// The bytes of `file`; throws std::runtime_error naming it if it cannot be read.
inline std::string read_image_bytes(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw std::runtime_error("report image " + file.string() + " does not exist");
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  const std::streamoff size = in ? std::streamoff(in.tellg()) : -1;
  std::string bytes(size > 0 ? std::size_t(size) : 0, '\0');
  if (size >= 0 && in.seekg(0)) in.read(bytes.data(), size);
  if (size < 0 || !in) throw std::runtime_error("cannot read report image " + file.string());
  return bytes;
}

/// `file` as a Markdown link target relative to `dir` ('/' separators; characters other than
/// letters, digits, "-._~/" percent-encoded); absolute when `file` lies on another root.
inline std::string markdown_link_target(const std::filesystem::path& file,
                                        const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  const fs::path absolute_file = fs::absolute(file).lexically_normal();
  fs::path target = absolute_file.lexically_relative(fs::absolute(dir).lexically_normal());
  if (target.empty()) target = absolute_file;
  std::string out;
  for (const char c : target.generic_string()) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      static constexpr char hex[] = "0123456789ABCDEF";
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

/// `text` on one line: each newline (and carriage return) becomes a space.
inline std::string one_line(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return out;
}

/// `text` safe inside a Markdown pipe-table cell: on one line, '|' escaped as "\|".
inline std::string markdown_cell(std::string_view text) {
  std::string out;
  for (const char c : one_line(text)) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

/// `text` on one line with each of `special` (and '\\') backslash-escaped: "[]" for the alt
/// text of an image, "*" inside *emphasis*.
inline std::string markdown_escape(std::string_view text, std::string_view special) {
  std::string out;
  for (const char c : one_line(text)) {
    if (c == '\\' || special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

/// A Markdown code fence longer than any run of backticks in `text` (at least three).
inline std::string markdown_fence(std::string_view text) {
  std::size_t longest = 0, run = 0;
  for (const char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

/// The style sheet of the HTML report: a 960 px column in the system sans-serif font, tables
/// with borders and zebra rows, best cells highlighted in green, figures scaled to fit.
inline constexpr std::string_view report_css = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1f2328; line-height: 1.5; font-size: 16px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 1.9em; margin: 0 0 .8em; padding-bottom: .3em; border-bottom: 2px solid #d0d7de; }
h2 { font-size: 1.4em; margin: 1.8em 0 .6em; padding-bottom: .25em; border-bottom: 1px solid #d8dee4; }
h3 { font-size: 1.15em; margin: 1.5em 0 .5em; }
h4, h5, h6 { font-size: 1em; margin: 1.2em 0 .4em; }
p { margin: .6em 0 1em; }
.table-wrap { overflow-x: auto; margin: 1em 0 1.5em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .95em; }
caption { caption-side: top; text-align: left; font-weight: 600; color: #424a53; padding: 0 0 .5em; }
th, td { border: 1px solid #d0d7de; padding: 6px 14px; text-align: left; vertical-align: top; }
thead th { background: #eef1f4; font-weight: 600; }
tbody tr:nth-child(even) { background: #f6f8fa; }
td.best { background: #dafbe1; }
td.best strong { color: #116329; }
figure { margin: 1em 0 1.5em; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid #d8dee4; }
figcaption { margin-top: .4em; font-size: .9em; color: #57606a; }
.figures { display: flex; flex-wrap: wrap; gap: 16px 20px; align-items: flex-start; margin: 1em 0 1.5em; }
.figures figure { flex: 1 1 260px; margin: 0; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px 16px;
  overflow-x: auto; font-size: .85em; line-height: 1.45; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
  "DejaVu Sans Mono", monospace; }
)css";

}  // namespace detail

/// Marks, in column `col` of `table`, the cell(s) whose leading number (the mean of
/// "0.812 ± 0.010", or a plain number) is the highest, or the lowest if `!higher_is_better`,
/// and unmarks the column's other cells. Cells without a number ("n/a", "") are ignored; tied
/// cells are all marked; a column without numbers ends up unmarked. Throws std::out_of_range
/// when `col` is outside both the header and every row.
inline void mark_best(Table& table, std::size_t col, bool higher_is_better = true) {
  std::size_t columns = table.header.size();
  for (const auto& row : table.rows) columns = std::max(columns, row.size());
  if (col >= columns)
    throw std::out_of_range("mark_best: column " + std::to_string(col) + " of a table with " +
                            std::to_string(columns) + " columns");
  std::optional<double> best;
  for (const auto& row : table.rows) {
    if (col >= row.size()) continue;
    if (const auto v = detail::leading_number(row[col].text))
      if (!best || (higher_is_better ? *v > *best : *v < *best)) best = v;
  }
  for (auto& row : table.rows) {
    if (col >= row.size()) continue;
    const auto v = detail::leading_number(row[col].text);
    row[col].best = best && v && *v == *best;
  }
}

/// An experiment report: a title and blocks (headings, paragraphs, tables, figures, code) added
/// in order, rendered as Markdown and as one self-contained HTML file. Images are read when the
/// HTML is rendered, so they may be written after they are added.
class Report {
 public:
  explicit Report(std::string title) : title_(std::move(title)) {}

  /// A section heading, `level` 1 to 6 (the title is the only level 1 one by convention).
  Report& heading(const std::string& text, int level = 2) {
    if (level < 1 || level > 6)
      throw std::invalid_argument("Report::heading: level " + std::to_string(level) +
                                  ", expected 1 to 6");
    blocks_.emplace_back(Heading{text, level});
    return *this;
  }

  /// A paragraph of plain text: kept as it is in Markdown, escaped in HTML.
  Report& paragraph(const std::string& text) {
    blocks_.emplace_back(Paragraph{text});
    return *this;
  }

  /// A table: a Markdown pipe table ('|' escaped, best cells **bold**, the caption in italics
  /// above it) and an HTML <table> (best cells <strong> in a `td class="best"`).
  Report& table(const Table& t) {
    blocks_.emplace_back(t);
    return *this;
  }

  /// A figure with a caption. `file` must be a .png, .jpg, .jpeg, .svg, .gif or .webp image
  /// (std::invalid_argument otherwise); it is read when the report is rendered.
  /// `max_width_px` > 0 limits its width in HTML (Markdown has no width).
  Report& image(const std::filesystem::path& file, const std::string& caption,
                int max_width_px = 0) {
    blocks_.emplace_back(Figures{{make_figure(file, caption, max_width_px)}});
    return *this;
  }

  /// A row of figures (file, caption) that wraps into a grid: a flexbox in HTML, tables of up
  /// to three figures a row in Markdown.
  Report& images(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
    Figures figures;
    for (const auto& [file, caption] : files)
      figures.items.push_back(make_figure(file, caption, 0));
    if (!figures.items.empty()) blocks_.emplace_back(std::move(figures));
    return *this;
  }

  /// A block of code or configuration text: a fenced block in Markdown (the fence is longer
  /// than any run of backticks in `text`), <pre><code> in HTML.
  Report& code(const std::string& text, const std::string& lang = "") {
    blocks_.emplace_back(Code{text, lang});
    return *this;
  }

  /// The report in Markdown, image links relative to `report_dir` (where the .md file goes).
  std::string markdown(const std::filesystem::path& report_dir) const {
    std::ostringstream out;
    out << "# " << detail::one_line(title_) << "\n";
    for (const auto& block : blocks_) {
      out << "\n";
      if (const auto* h = std::get_if<Heading>(&block)) {
        out << std::string(std::size_t(h->level), '#') << ' ' << detail::one_line(h->text) << "\n";
      } else if (const auto* p = std::get_if<Paragraph>(&block)) {
        out << p->text << "\n";
      } else if (const auto* t = std::get_if<Table>(&block)) {
        markdown_table(out, *t);
      } else if (const auto* f = std::get_if<Figures>(&block)) {
        markdown_figures(out, *f, report_dir);
      } else if (const auto* c = std::get_if<Code>(&block)) {
        const std::string fence = detail::markdown_fence(c->text);
        out << fence << detail::one_line(c->lang) << "\n" << c->text;
        if (!c->text.empty() && c->text.back() != '\n') out << "\n";
        out << fence << "\n";
      }
    }
    return out.str();
  }

  /// The report as one HTML file: inline CSS, images embedded as base64 data: URIs, no
  /// external resource. Throws std::runtime_error naming an image file that cannot be read.
  std::string html() const {
    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        << "<title>" << html_escape(title_) << "</title>\n<style>" << detail::report_css
        << "</style>\n</head>\n<body>\n<main>\n<h1>" << html_escape(title_) << "</h1>\n";
    for (const auto& block : blocks_) {
      if (const auto* h = std::get_if<Heading>(&block)) {
        out << "<h" << h->level << '>' << html_escape(h->text) << "</h" << h->level << ">\n";
      } else if (const auto* p = std::get_if<Paragraph>(&block)) {
        out << "<p>" << html_escape(p->text) << "</p>\n";
      } else if (const auto* t = std::get_if<Table>(&block)) {
        html_table(out, *t);
      } else if (const auto* f = std::get_if<Figures>(&block)) {
        if (f->items.size() > 1) out << "<div class=\"figures\">\n";
        for (const auto& figure : f->items) html_figure(out, figure);
        if (f->items.size() > 1) out << "</div>\n";
      } else if (const auto* c = std::get_if<Code>(&block)) {
        out << "<pre><code";
        if (!c->lang.empty()) out << " class=\"language-" << html_escape(c->lang) << '"';
        out << '>' << html_escape(c->text) << "</code></pre>\n";
      }
    }
    out << "</main>\n</body>\n</html>\n";
    return out.str();
  }

  /// Writes `dir/stem.md` and `dir/stem.html`, each atomically, creating `dir`. Both are
  /// rendered first, so a missing image throws (std::runtime_error naming it) before either
  /// file is touched.
  void write(const std::filesystem::path& dir, const std::string& stem = "report") const {
    const std::string page = html();
    const std::string text = markdown(dir);
    io::write_file_atomically(dir / (stem + ".md"), text);
    io::write_file_atomically(dir / (stem + ".html"), page);
  }

 private:
  struct Heading {
    std::string text;
    int level;
  };
  struct Paragraph {
    std::string text;
  };
  struct Figure {
    std::filesystem::path file;
    std::string caption, mime;
    int max_width_px;
  };
  struct Figures {
    std::vector<Figure> items;
  };
  struct Code {
    std::string text, lang;
  };
  using Block = std::variant<Heading, Paragraph, Table, Figures, Code>;

  static Figure make_figure(const std::filesystem::path& file, const std::string& caption,
                            int max_width_px) {
    return Figure{file, caption, detail::image_mime_type(file), std::max(0, max_width_px)};
  }

  static std::size_t column_count(const Table& t) {
    std::size_t columns = t.header.size();
    for (const auto& row : t.rows) columns = std::max(columns, row.size());
    return columns;
  }

  static void markdown_table(std::ostringstream& out, const Table& t) {
    const std::size_t columns = column_count(t);
    if (!t.caption.empty()) out << '*' << detail::markdown_escape(t.caption, "*") << "*\n\n";
    if (columns == 0) return;
    out << '|';
    for (std::size_t j = 0; j < columns; ++j)
      out << ' ' << (j < t.header.size() ? detail::markdown_cell(t.header[j]) : "") << " |";
    out << "\n|";
    for (std::size_t j = 0; j < columns; ++j) out << "---|";
    out << '\n';
    for (const auto& row : t.rows) {
      out << '|';
      for (std::size_t j = 0; j < columns; ++j) {
        out << ' ';
        if (j < row.size() && !row[j].text.empty()) {
          const std::string text = detail::markdown_cell(row[j].text);
          out << (row[j].best ? "**" + text + "**" : text);
        }
        out << " |";
      }
      out << '\n';
    }
  }

  static void markdown_figures(std::ostringstream& out, const Figures& f,
                               const std::filesystem::path& report_dir) {
    auto link = [&](const Figure& figure) {
      return "![" + detail::markdown_escape(figure.caption, "[]") + "](" +
             detail::markdown_link_target(figure.file, report_dir) + ")";
    };
    if (f.items.size() == 1) {
      out << link(f.items.front()) << "\n";
      if (!f.items.front().caption.empty())
        out << "\n*" << detail::markdown_escape(f.items.front().caption, "*") << "*\n";
      return;
    }
    constexpr std::size_t per_row = 3;
    for (std::size_t first = 0; first < f.items.size(); first += per_row) {
      const std::size_t last = std::min(f.items.size(), first + per_row);
      if (first > 0) out << '\n';
      out << '|';
      for (std::size_t i = first; i < last; ++i)
        out << ' ' << detail::markdown_cell(f.items[i].caption) << " |";
      out << "\n|";
      for (std::size_t i = first; i < last; ++i) out << ":---:|";
      out << "\n|";
      for (std::size_t i = first; i < last; ++i)
        out << ' ' << detail::markdown_cell(link(f.items[i])) << " |";
      out << '\n';
    }
  }

  static void html_table(std::ostringstream& out, const Table& t) {
    const std::size_t columns = column_count(t);
    out << "<div class=\"table-wrap\">\n<table>\n";
    if (!t.caption.empty()) out << "<caption>" << html_escape(t.caption) << "</caption>\n";
    if (!t.header.empty()) {
      out << "<thead><tr>";
      for (std::size_t j = 0; j < columns; ++j)
        out << "<th>" << (j < t.header.size() ? html_escape(t.header[j]) : "") << "</th>";
      out << "</tr></thead>\n";
    }
    out << "<tbody>\n";
    for (const auto& row : t.rows) {
      out << "<tr>";
      for (std::size_t j = 0; j < columns; ++j) {
        if (j >= row.size()) {
          out << "<td></td>";
        } else if (row[j].best) {
          out << "<td class=\"best\"><strong>" << html_escape(row[j].text) << "</strong></td>";
        } else {
          out << "<td>" << html_escape(row[j].text) << "</td>";
        }
      }
      out << "</tr>\n";
    }
    out << "</tbody>\n</table>\n</div>\n";
  }

  static void html_figure(std::ostringstream& out, const Figure& figure) {
    out << "<figure><img alt=\"" << html_escape(figure.caption) << "\"";
    if (figure.max_width_px > 0)
      out << " style=\"max-width:min(100%," << figure.max_width_px << "px)\"";
    out << " src=\"data:" << figure.mime << ";base64,"
        << base64(detail::read_image_bytes(figure.file)) << "\">";
    if (!figure.caption.empty())
      out << "<figcaption>" << html_escape(figure.caption) << "</figcaption>";
    out << "</figure>\n";
  }

  std::string title_;
  std::vector<Block> blocks_;
};

}  // namespace gan::report

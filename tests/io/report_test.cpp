// Tests for gan/io/report.hpp: base64 against RFC 4648's vectors, best-cell marking, the
// Markdown and HTML it writes, atomic writing, and the HTML as headless Chromium renders it.
// Needs OpenCV only to make and read test images (report.hpp itself needs neither OpenCV nor
// libtorch). The render test is skipped when no Chromium is on PATH (Debian: `chromium`).

#include <gtest/gtest.h>

#include "common/temp_dir.hpp"

#include <gan/report/report.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using gan::report::Cell;
using gan::report::Report;
using gan::report::Table;

using gan::test::TempDir;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// Decodes padded base64 by searching the alphabet (an independent, slow decoder); throws on a
/// character outside it.
std::string base64_decode(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const auto v = alphabet.find(c);
    if (v == std::string::npos) throw std::invalid_argument("not base64: " + std::string(1, c));
    bits = (bits << 6) | unsigned(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += char((bits >> count) & 0xFF);
    }
  }
  return out;
}

/// A results table as aerogan writes it: two metric columns with "mean ± std" cells.
Table results_table() {
  Table t;
  t.header = {"GAN", "accuracy", "FID"};
  t.rows = {{{"cgan"}, {"0.812 ± 0.010"}, {"41.2"}},
            {{"acgan | proj"}, {"0.795 ± 0.021"}, {"38.7"}},
            {{"none"}, {"n/a"}, {"n/a"}}};
  t.caption = "Classifier accuracy over 5 seeds";
  return t;
}

std::vector<bool> best_flags(const Table& t, std::size_t col) {
  std::vector<bool> flags;
  for (const auto& row : t.rows) flags.push_back(col < row.size() && row[col].best);
  return flags;
}

Table column(std::vector<std::string> texts) {
  Table t;
  t.header = {"value"};
  for (auto& text : texts) t.rows.push_back({Cell{text}});
  return t;
}

/// A 200 × 120 PNG: the left half pure red, the right half pure blue.
fs::path write_red_blue_png(const fs::path& path) {
  cv::Mat image(120, 200, CV_8UC3, cv::Scalar(0, 0, 255));
  image(cv::Rect(100, 0, 100, 120)).setTo(cv::Scalar(255, 0, 0));
  fs::create_directories(path.parent_path());
  if (!cv::imwrite(path.string(), image)) throw std::runtime_error("cannot write " + path.string());
  return path;
}

/// The base64 payloads of the `src="data:MIME;base64,..."` attributes of `html`, in order.
std::vector<std::string> data_uris(const std::string& html, const std::string& mime) {
  std::vector<std::string> payloads;
  const std::string prefix = "src=\"data:" + mime + ";base64,";
  for (auto at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1)) {
    const auto begin = at + prefix.size();
    payloads.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return payloads;
}

TEST(Base64, Rfc4648Vectors) {
  // RFC 4648 §10.
  EXPECT_EQ(gan::report::base64(""), "");
  EXPECT_EQ(gan::report::base64("f"), "Zg==");
  EXPECT_EQ(gan::report::base64("fo"), "Zm8=");
  EXPECT_EQ(gan::report::base64("foo"), "Zm9v");
  EXPECT_EQ(gan::report::base64("foob"), "Zm9vYg==");
  EXPECT_EQ(gan::report::base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(gan::report::base64("foobar"), "Zm9vYmFy");
}

TEST(Base64, HighBytesAndZerosUseTheWholeAlphabet) {
  EXPECT_EQ(gan::report::base64(std::string("\xFB\xFF\xBF", 3)), "+/+/");
  EXPECT_EQ(gan::report::base64(std::string(3, '\0')), "AAAA");
  EXPECT_EQ(gan::report::base64(std::string(1, '\0')), "AA==");
  std::string all;
  for (int i = 0; i < 256; ++i) all += char(i);
  EXPECT_EQ(base64_decode(gan::report::base64(all)), all);
}

TEST(ReportMarkBest, MeansWithStdHighestWins) {
  Table t = results_table();
  gan::report::mark_best(t, 1);
  EXPECT_EQ(best_flags(t, 1), (std::vector<bool>{true, false, false}));
  gan::report::mark_best(t, 2, /*higher_is_better=*/false);
  EXPECT_EQ(best_flags(t, 2), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(best_flags(t, 0), (std::vector<bool>{false, false, false}));
}

TEST(ReportMarkBest, TiesAreAllMarked) {
  Table t = column({"0.81 ± 0.01", "0.810 ± 0.03", "0.5", "0.81"});
  gan::report::mark_best(t, 0);
  EXPECT_EQ(best_flags(t, 0), (std::vector<bool>{true, true, false, true}));
}

TEST(ReportMarkBest, NegativeNumbers) {
  Table t = column({"-3.5 ± 0.2", "-1.25", "-10",
                    "\xE2\x88\x92"
                    "0.5"});  // U+2212 minus
  gan::report::mark_best(t, 0);
  EXPECT_EQ(best_flags(t, 0), (std::vector<bool>{false, false, false, true}));
  gan::report::mark_best(t, 0, false);
  EXPECT_EQ(best_flags(t, 0), (std::vector<bool>{false, false, true, false}));
}

TEST(ReportMarkBest, LowerIsBetterAndPlainNumbers) {
  Table t = column({"41.2", "38.7", "1e2", " 85.2 %", "+2"});
  gan::report::mark_best(t, 0, false);
  EXPECT_EQ(best_flags(t, 0), (std::vector<bool>{false, false, false, false, true}));
  gan::report::mark_best(t, 0, true);
  EXPECT_EQ(best_flags(t, 0), (std::vector<bool>{false, false, true, false, false}));
}

TEST(ReportMarkBest, NonNumericCellsAreIgnoredAndShortRowsSkipped) {
  Table t = column({"n/a", "", "12abc", "inf", "nan", "-", "± 3", "7"});
  t.rows.push_back({});           // a row without the column
  t.rows[0].front().best = true;  // a stale mark is cleared
  gan::report::mark_best(t, 0);
  EXPECT_EQ(best_flags(t, 0),
            (std::vector<bool>{false, false, false, false, false, false, false, true, false}));
  Table none = column({"n/a", "—"});
  gan::report::mark_best(none, 0);
  EXPECT_EQ(best_flags(none, 0), (std::vector<bool>{false, false}));
}

TEST(ReportMarkBest, ColumnOutsideTheTableThrows) {
  Table t = results_table();
  EXPECT_THROW(gan::report::mark_best(t, 3), std::out_of_range);
}

TEST(ReportMarkdown, TableRowsBoldBestAndEscapedPipes) {
  Table t = results_table();
  gan::report::mark_best(t, 1);
  gan::report::mark_best(t, 2, false);
  Report report("Experiment");
  report.heading("Results").table(t);
  const std::string md = report.markdown("/tmp");
  EXPECT_EQ(md.rfind("# Experiment\n", 0), 0u) << md;
  EXPECT_NE(md.find("\n## Results\n"), std::string::npos) << md;
  EXPECT_NE(md.find("*Classifier accuracy over 5 seeds*\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| GAN | accuracy | FID |\n|---|---|---|\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| cgan | **0.812 ± 0.010** | 41.2 |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| acgan \\| proj | 0.795 ± 0.021 | **38.7** |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| none | n/a | n/a |\n"), std::string::npos) << md;
}

TEST(ReportMarkdown, ShortRowsArePaddedToTheHeader) {
  Table t;
  t.header = {"a", "b", "c"};
  t.rows = {{{"1"}}};
  const std::string md = Report("T").table(t).markdown(".");
  EXPECT_NE(md.find("| 1 |  |  |\n"), std::string::npos) << md;
}

TEST(ReportMarkdown, ImageLinksAreRelativeToTheReportFolder) {
  TempDir dir("gan_report_test");
  const fs::path report_dir = dir.path() / "run";
  Report report("T");
  report.image(report_dir / "samples" / "epoch 10.png", "Samples [epoch 10]")
      .image(dir.path() / "other" / "tsne.svg", "t-SNE")
      .images({{report_dir / "plots" / "d.png", "D loss"},
               {report_dir / "plots" / "g.png", "G | loss"}});
  const std::string md = report.markdown(report_dir);
  EXPECT_NE(md.find("![Samples \\[epoch 10\\]](samples/epoch%2010.png)\n"), std::string::npos)
      << md;
  EXPECT_NE(md.find("\n*Samples [epoch 10]*\n"), std::string::npos) << md;
  EXPECT_NE(md.find("![t-SNE](../other/tsne.svg)"), std::string::npos) << md;
  EXPECT_NE(md.find("| D loss | G \\| loss |\n|:---:|:---:|\n| ![D loss](plots/d.png) | "
                    "![G \\| loss](plots/g.png) |\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find(dir.path().string()), std::string::npos) << "no absolute path: " << md;
}

TEST(ReportMarkdown, ParagraphsAsTheyAreAndFencedConfiguration) {
  const std::string config = "[train]\nlr = 0.0002 ; Adam\nbatch_size = 32\n";
  Report report("T");
  report.paragraph("FID < 40 is *good* & cheap").code(config, "ini").code("a ``` b");
  const std::string md = report.markdown(".");
  EXPECT_NE(md.find("\nFID < 40 is *good* & cheap\n"), std::string::npos) << md;
  EXPECT_NE(md.find("\n```ini\n" + config + "```\n"), std::string::npos) << md;
  EXPECT_NE(md.find("\n````\na ``` b\n````\n"), std::string::npos) << md;
}

TEST(ReportHtml, EscapeReplacesTheFiveSpecialCharacters) {
  EXPECT_EQ(gan::report::html_escape("a < b & c > \"d\" 'e'"),
            "a &lt; b &amp; c &gt; &quot;d&quot; &#39;e&#39;");
  EXPECT_EQ(gan::report::html_escape("0.812 ± 0.010"), "0.812 ± 0.010");
}

TEST(ReportHtml, TextIsEscapedAndBestCellsMarked) {
  Table t = results_table();
  t.rows[2][0].text = "<script>alert(\"x\")</script> & 'y'";
  gan::report::mark_best(t, 1);
  Report report("A <b> & \"c\"");
  report.heading("Results & <notes>")
      .paragraph("FID < 40 & \"fast\"")
      .table(t)
      .code("a = <1> & 2", "ini");
  const std::string html = report.html();
  EXPECT_NE(html.find("<title>A &lt;b&gt; &amp; &quot;c&quot;</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>A &lt;b&gt; &amp; &quot;c&quot;</h1>"), std::string::npos);
  EXPECT_NE(html.find("<h2>Results &amp; &lt;notes&gt;</h2>"), std::string::npos);
  EXPECT_NE(html.find("<p>FID &lt; 40 &amp; &quot;fast&quot;</p>"), std::string::npos);
  EXPECT_NE(
      html.find("<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</td>"),
      std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("<caption>Classifier accuracy over 5 seeds</caption>"), std::string::npos);
  EXPECT_NE(html.find("<th>GAN</th><th>accuracy</th><th>FID</th>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"best\"><strong>0.812 ± 0.010</strong></td>"), std::string::npos);
  EXPECT_NE(html.find("<td>acgan | proj</td><td>0.795 ± 0.021</td>"), std::string::npos);
  EXPECT_NE(html.find("<pre><code class=\"language-ini\">a = &lt;1&gt; &amp; 2</code></pre>"),
            std::string::npos);
}

TEST(ReportHtml, ImagesAreEmbeddedAndTheFileIsSelfContained) {
  TempDir dir("gan_report_test");
  const fs::path png = write_red_blue_png(dir.path() / "grid.png");
  const fs::path svg = dir.path() / "tsne.svg";
  write_bytes(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>");
  const fs::path jpg = dir.path() / "photo.JPG";
  const char jpeg_like[] = "\xFF\xD8\xFF\xE0 not really a jpeg \x00\x01";
  write_bytes(jpg, std::string(jpeg_like, sizeof jpeg_like - 1));
  Report report("T");
  report.image(png, "Samples", 320).images({{svg, "t-SNE"}, {jpg, "photo"}});
  const std::string html = report.html();

  const auto pngs = data_uris(html, "image/png");
  ASSERT_EQ(pngs.size(), 1u);
  EXPECT_EQ(base64_decode(pngs[0]), read_file(png));
  EXPECT_EQ(pngs[0], gan::report::base64(read_file(png)));
  const auto svgs = data_uris(html, "image/svg+xml");
  ASSERT_EQ(svgs.size(), 1u);
  EXPECT_EQ(base64_decode(svgs[0]), read_file(svg));
  const auto jpgs = data_uris(html, "image/jpeg");
  ASSERT_EQ(jpgs.size(), 1u);
  EXPECT_EQ(base64_decode(jpgs[0]), read_file(jpg));

  EXPECT_NE(html.find("max-width:min(100%,320px)"), std::string::npos);
  EXPECT_NE(html.find("<figcaption>Samples</figcaption>"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"figures\">"), std::string::npos);
  // Self-contained: the SVG's namespace URL is inside base64, so no "http" anywhere.
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("src=\"file"), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find(dir.path().string()), std::string::npos);
}

TEST(ReportHtml, UnknownImageTypeThrowsNamingTheFile) {
  Report report("T");
  try {
    report.image("plots/losses.bmp", "losses");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("plots/losses.bmp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(report.heading("x", 7), std::invalid_argument);
}

TEST(ReportWrite, WritesMarkdownAndHtmlIntoTheFolder) {
  TempDir dir("gan_report_test");
  const fs::path out = dir.path() / "run" / "nested";
  const fs::path png = write_red_blue_png(out / "samples" / "grid.png");
  Table t = results_table();
  gan::report::mark_best(t, 1);
  Report report("Experiment");
  report.table(t).image(png, "Samples").code("[train]\nlr = 0.0002\n", "ini");
  report.write(out);
  EXPECT_EQ(read_file(out / "report.md"), report.markdown(out));
  EXPECT_EQ(read_file(out / "report.html"), report.html());
  EXPECT_NE(read_file(out / "report.md").find("](samples/grid.png)"), std::string::npos);
  report.write(out, "summary");
  EXPECT_TRUE(fs::is_regular_file(out / "summary.md"));
  EXPECT_TRUE(fs::is_regular_file(out / "summary.html"));
  for (const auto& entry : fs::directory_iterator(out))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(ReportWrite, MissingImageThrowsNamingItAndLeavesTheOldReport) {
  TempDir dir("gan_report_test");
  write_bytes(dir.path() / "report.md", "old report\n");
  const fs::path missing = dir.path() / "plots" / "losses.png";
  Report report("T");
  report.paragraph("new").image(missing, "losses");
  try {
    report.write(dir.path());
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(dir.path() / "report.md"), "old report\n");
  EXPECT_FALSE(fs::exists(dir.path() / "report.html"));
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);
  EXPECT_NO_THROW(report.markdown(dir.path()));  // Markdown only links the image
}

/// The first of Debian's and other distributions' Chromium commands found on PATH, or "".
fs::path find_chromium() {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  for (const char* name : {"chromium", "chromium-browser", "chromium-headless-shell"}) {
    std::string dirs = path;
    for (std::size_t begin = 0; begin <= dirs.size();) {
      const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
      const fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / name;
      if (end > begin && ::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate))
        return candidate;
      begin = end + 1;
    }
  }
  return {};
}

/// Runs headless Chromium on `url` with `mode` ("--screenshot=FILE" or "--dump-dom"), stdout to
/// `stdout_file`, in a throwaway HOME and profile under `work`; returns the exit status and
/// prints the time it took.
int run_chromium(const fs::path& chromium, const fs::path& work, const std::string& mode,
                 const std::string& url, const fs::path& stdout_file) {
  fs::create_directories(work / "home");
  const std::string command = "cd '" + work.string() + "' && HOME='" + (work / "home").string() +
                              "' timeout 60 '" + chromium.string() +
                              "' --headless --no-sandbox --disable-gpu --hide-scrollbars"
                              " --no-first-run --no-default-browser-check --user-data-dir='" +
                              (work / "profile").string() + "' --window-size=1000,1400 " + mode +
                              " '" + url + "' > '" + stdout_file.string() + "' 2> '" +
                              (work / "chromium.log").string() + "'";
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(command.c_str());
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  std::cout << "chromium " << mode.substr(0, mode.find('=')) << ": " << seconds.count() << " s\n";
  return status;
}

/// The pixels of `image` within `tolerance` of `bgr` in every channel.
cv::Mat pixels_near(const cv::Mat& image, cv::Scalar bgr, int tolerance) {
  cv::Mat mask;
  cv::inRange(image, bgr - cv::Scalar::all(tolerance), bgr + cv::Scalar::all(tolerance), mask);
  return mask;
}

TEST(ReportChromium, RendersTheTableAndTheEmbeddedImage) {
  const fs::path chromium = find_chromium();
  if (chromium.empty())
    GTEST_SKIP() << "no chromium, chromium-browser or chromium-headless-shell on PATH "
                    "(Debian: apt-get install chromium)";
  TempDir dir("gan_report_test");
  const fs::path out = dir.path() / "out";
  const fs::path png = write_red_blue_png(dir.path() / "figures" / "red_blue.png");
  Table t = results_table();
  t.rows[2][0].text = "a < b & c";
  gan::report::mark_best(t, 1);
  gan::report::mark_best(t, 2, false);
  Report report("Rooftop solar panels: cgan vs acgan");
  report.paragraph("Two conditional GANs trained on the source region.")
      .heading("Results")
      .table(t)
      .heading("Samples")
      .image(png, "A red and blue test image")
      .heading("Configuration")
      .code("[train]\nlr = 0.0002\nbatch_size = 32\n", "ini");
  report.write(out);
  const std::string url = "file://" + (out / "report.html").string();
  const auto log = [&] { return read_file(dir.path() / "chromium.log"); };

  const fs::path shot_file = dir.path() / "shot.png";
  ASSERT_EQ(run_chromium(chromium, dir.path(), "--screenshot=" + shot_file.string(), url,
                         dir.path() / "screenshot.out"),
            0)
      << log();
  const cv::Mat shot = cv::imread(shot_file.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(shot.empty()) << "no screenshot; chromium said:\n" << log();
  ASSERT_EQ(shot.cols, 1000);
  ASSERT_EQ(shot.rows, 1400);
  if (const char* keep = std::getenv("GAN_REPORT_SCREENSHOT"))
    fs::copy_file(shot_file, keep, fs::copy_options::overwrite_existing);

  // The embedded image at its natural size: 100 × 120 red pixels left of 100 × 120 blue ones.
  const cv::Mat red = pixels_near(shot, cv::Scalar(0, 0, 255), 10);
  const cv::Mat blue = pixels_near(shot, cv::Scalar(255, 0, 0), 10);
  ASSERT_GT(cv::countNonZero(red), 0.8 * 100 * 120);
  ASSERT_GT(cv::countNonZero(blue), 0.8 * 100 * 120);
  const cv::Rect red_box = cv::boundingRect(red), blue_box = cv::boundingRect(blue);
  EXPECT_LE(red_box.br().x, blue_box.x + 2);
  EXPECT_NEAR(red_box.y, blue_box.y, 2);
  EXPECT_NEAR(red_box.height, 120, 4);

  // Above the image: the title, the paragraph and the table, with text and the best cells'
  // green background (#dafbe1).
  const cv::Rect above(0, 0, shot.cols, red_box.y);
  cv::Mat grey;
  cv::cvtColor(shot(above), grey, cv::COLOR_BGR2GRAY);
  EXPECT_GT(cv::countNonZero(grey < 128), 3000) << "too little text above the image";
  EXPECT_GT(cv::countNonZero(pixels_near(shot(above), cv::Scalar(225, 251, 218), 3)), 1500)
      << "no highlighted best cell";

  const fs::path dom_file = dir.path() / "dom.html";
  ASSERT_EQ(run_chromium(chromium, dir.path(), "--dump-dom", url, dom_file), 0) << log();
  const std::string dom = read_file(dom_file);
  EXPECT_NE(dom.find("<h1>Rooftop solar panels: cgan vs acgan</h1>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<td class=\"best\"><strong>0.812 ± 0.010</strong></td>"), std::string::npos);
  EXPECT_NE(dom.find("<td class=\"best\"><strong>38.7</strong></td>"), std::string::npos);
  EXPECT_NE(dom.find("<td>acgan | proj</td>"), std::string::npos);
  EXPECT_NE(dom.find("<td>a &lt; b &amp; c</td>"), std::string::npos);
  EXPECT_NE(dom.find("<figcaption>A red and blue test image</figcaption>"), std::string::npos);
}

}  // namespace

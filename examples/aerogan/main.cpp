// aerogan: the command-line tool of the method. Subcommands:
//   synth     make the built-in aerial rooftop dataset (images/*.png + labels.csv)
//   split     split a labelled set once, stratified: split.csv and a CSV per part
//   train     train a conditional GAN on a folder and a CSV
//   generate  write images from a trained model
//   classify  train a VGG classifier and export its features
//   cluster   cluster features into the GAN's conditioning labels
//   fid       FID / KID between two image sets
//   evaluate  the oversampling experiment against plain baselines, over seeds
//   pipeline  the whole method from one config, with a report
#include "config.hpp"

#include <gan/data/split_file.hpp>
#include <gan/data/synth.hpp>
#include <gan/train/allocator.hpp>

#include <c10/util/Exception.h>

#include <map>

namespace aerogan {

std::vector<double> parse_split(const std::string& split) {
  std::vector<double> fractions;
  std::stringstream s(split);
  for (std::string f; std::getline(s, f, ',');) {
    const auto v = gan::io::to_number(f);
    if (!v) throw std::invalid_argument("--split: '" + f + "' is not a number");
    fractions.push_back(*v);
  }
  if (fractions.size() != 3) throw std::invalid_argument("--split needs three fractions, got '" + split + "'");
  for (const auto f : fractions)
    if (!(f >= 0 && f <= 1)) throw std::invalid_argument("--split: each fraction must be in [0, 1], got '" + split + "'");
  if (!(fractions[0] > 0 && fractions[1] > 0 && fractions[2] > 0))
    throw std::invalid_argument("--split " + split + ": the train, validation and test fractions must each be > 0 (the experiment chooses on the validation split and reports the test split), e.g. 0.7,0.2,0.1");
  return fractions;
}

std::vector<int64_t> parse_list(const std::string& s, const std::string& what) {
  std::vector<int64_t> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::invalid_argument("--" + what + ": '" + item + "' is not an integer");
    }
  }
  return out;
}

void ClassifierFlags::validate() const {
  if (epochs < 0 || batch <= 0) throw std::invalid_argument("--epochs must be >= 0 and --batch-size > 0");
  if (img_size < 32) throw std::invalid_argument("--img-size must be >= 32, got " + std::to_string(img_size));
  if (depth != 11 && depth != 16) throw std::invalid_argument("--depth must be 11 or 16, got " + std::to_string(depth));
  if (!(width > 0) || hidden <= 0 || pool <= 0 || !(lr > 0))
    throw std::invalid_argument("--width, --hidden, --pool and --lr must be > 0");
  check_device(device);
  one_of("on-bad-image", on_bad, {"error", "skip"});
  if (!weights.empty() && (width != 1.0 || hidden != 4096 || pool != 7))
    throw std::invalid_argument("--weights needs torchvision's shapes: --width 1 --hidden 4096 --pool 7");
}

void SynthOptions::validate() {
  one_of("region", region, {"source", "target"});
  if (count < 0) throw std::invalid_argument("--count must be >= 0, got " + std::to_string(count));
  if (size < 32) throw std::invalid_argument("--size must be >= 32, got " + std::to_string(size));
  if (!(positive_ratio >= 0 && positive_ratio <= 1))
    throw std::invalid_argument("--positive-ratio must be in [0, 1], got " + format_number(positive_ratio));
}

int run(const SynthOptions& s) {
  gan::data::SynthOptions o;
  o.count = s.count;
  o.size = s.size;
  o.positive_ratio = s.positive_ratio;
  o.seed = s.seed;
  o.region = s.region == "source" ? gan::data::Region::source : gan::data::Region::target;
  const auto positives = gan::data::write_synth_dataset(s.out, o);
  std::cout << "wrote " << o.count << " tiles (" << positives << " with solar panels) to " << s.out
            << "/images and " << s.out << "/labels.csv\n";
  return 0;
}

void SplitOptions::validate() {
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv");
  fractions = parse_split(split);
}

int run(const SplitOptions& o) {
  const auto rows = gan::data::make_split(gan::data::read_labels_csv(o.labels), o.fractions, o.seed);
  gan::data::write_split_csv(fs::path(o.out) / "split.csv", rows);
  for (const auto& part : gan::data::split_parts()) gan::data::write_part_csv(fs::path(o.out) / (part + ".csv"), rows, part);
  std::map<std::string, std::pair<int64_t, int64_t>> count;  // part -> (rows, positives)
  for (const auto& r : rows) count[r.part].first++, count[r.part].second += r.label == 1;
  std::cout << "split " << rows.size() << " rows of " << o.labels << ":";
  for (const auto& part : gan::data::split_parts())
    std::cout << " " << part << " " << count[part].first << " (" << count[part].second << " of label 1)";
  std::cout << "\nwrote " << (fs::path(o.out) / "split.csv").string() << " and train.csv, val.csv, test.csv\n";
  return 0;
}

void ReportOptions::validate() {
  if (dir.empty()) throw std::invalid_argument("give --dir OUT (a pipeline's output folder)");
}

void PipelineOptions::validate() {
  if (config.empty()) throw std::invalid_argument("give --config FILE.ini (see examples/configs/)");
}

}  // namespace aerogan

int main(int argc, char** argv) {
  const std::string usage =
      "usage: aerogan <command> [options]   (aerogan <command> --help for its options)\n"
      "  synth     make the built-in aerial rooftop dataset\n"
      "  split     split a labelled set once (stratified train/val/test): split.csv\n"
      "  train     train a conditional GAN (vanilla, WGAN, WGAN-GP, SAGAN, ...) on images + CSV\n"
      "  generate  write images of chosen classes from a trained model\n"
      "  classify  train a VGG classifier (val/test metrics) and export its features\n"
      "  cluster   cluster features (k-means, hierarchical), score them, write clusters.csv\n"
      "  fid       FID (pytorch-fid's Inception) or the Frechet distance in a classifier's features, and KID\n"
      "  evaluate  the oversampling experiment: does a classifier gain recall from GAN positives?\n"
      "  pipeline  the whole method from one INI file, ending in report.md and report.html\n"
      "  report    report.md and report.html of a pipeline's output folder\n";
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  const auto args = aerogan::normalise_args(argc, argv, 2);
  gan::reuse_large_allocations();  // a step's large tensors reuse memory (gan/train/allocator.hpp)
  try {
    if (cmd == "synth") return aerogan::run_command<aerogan::SynthOptions>(args);
    if (cmd == "split") return aerogan::run_command<aerogan::SplitOptions>(args);
    if (cmd == "train") return aerogan::run_command<aerogan::TrainOptions>(args);
    if (cmd == "generate") return aerogan::run_command<aerogan::GenerateOptions>(args);
    if (cmd == "classify") return aerogan::run_command<aerogan::ClassifyOptions>(args);
    if (cmd == "cluster") return aerogan::run_command<aerogan::ClusterOptions>(args);
    if (cmd == "evaluate") return aerogan::run_command<aerogan::EvaluateOptions>(args);
    if (cmd == "fid") return aerogan::run_command<aerogan::FidOptions>(args);
    if (cmd == "pipeline") return aerogan::run_command<aerogan::PipelineOptions>(args);
    if (cmd == "report") return aerogan::run_command<aerogan::ReportOptions>(args);
    std::cerr << "aerogan: unknown command '" << cmd << "'\n" << usage;
    return 2;
  } catch (const gan::Error& e) {
    std::cerr << "aerogan " << cmd << ": bad input: " << e.what() << "\n";
    return 1;
  } catch (const boost::program_options::error& e) {
    std::cerr << "aerogan " << cmd << ": " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "aerogan " << cmd << ": " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "aerogan " << cmd << ": " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aerogan " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}

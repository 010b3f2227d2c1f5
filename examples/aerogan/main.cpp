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
#include "commands.hpp"
#include "config.hpp"

#include <gan/data/error.hpp>
#include <gan/data/split_file.hpp>
#include <gan/data/synth.hpp>

#include <c10/util/Exception.h>

namespace aerogan {

int run_synth(const std::vector<std::string>& args) {
  gan::data::SynthOptions o;
  std::string out = "data/synth", region = "source";
  po::options_description desc("aerogan synth: make aerial rooftop tiles, some with solar panels");
  desc.add_options()("help,h", "this help")
      ("out", po::value(&out)->default_value(out), "output folder (gets images/ and labels.csv)")
      ("count", po::value(&o.count)->default_value(o.count), "number of tiles")
      ("size", po::value(&o.size)->default_value(o.size), "tile size in pixels")
      ("positive-ratio", po::value(&o.positive_ratio)->default_value(o.positive_ratio),
       "share of tiles with solar panels (the paper: 0.2 source, 0.07 target)")
      ("region", po::value(&region)->default_value(region), "source | target (palette, roofs, sun, scale differ)")
      ("seed", po::value(&o.seed)->default_value(o.seed), "seed");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (region != "source" && region != "target")
    throw std::invalid_argument("--region '" + region + "' is not source or target");
  o.region = region == "source" ? gan::data::Region::source : gan::data::Region::target;
  const auto positives = gan::data::write_synth_dataset(out, o);
  std::cout << "wrote " << o.count << " tiles (" << positives << " with solar panels) to " << out
            << "/images and " << out << "/labels.csv\n";
  return 0;
}

int run_split(const std::vector<std::string>& args) {
  std::string labels, out = "split", split = "0.7,0.2,0.1";
  uint64_t seed = 0;
  po::options_description desc(
      "aerogan split: split a labelled set once, stratified by label (the paper: 70/20/10 with the\n"
      "same positive share in each part). Writes OUT/split.csv (filename,label,part) and OUT/train.csv,\n"
      "OUT/val.csv, OUT/test.csv (filename,label)");
  desc.add_options()("help,h", "this help")
      ("labels", po::value(&labels), "CSV of filename,label")
      ("out", po::value(&out)->default_value(out), "output folder")
      ("split", po::value(&split)->default_value(split), "train,val,test fractions")
      ("seed", po::value(&seed)->default_value(seed), "seed of the split");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (labels.empty()) throw std::invalid_argument("give --labels FILE.csv");
  const auto rows = gan::data::make_split(gan::data::read_labels_csv(labels), parse_split(split), seed);
  gan::data::write_split_csv(fs::path(out) / "split.csv", rows);
  for (const auto& part : gan::data::split_parts()) gan::data::write_part_csv(fs::path(out) / (part + ".csv"), rows, part);
  std::map<std::string, std::pair<int64_t, int64_t>> count;  // part -> (rows, positives)
  for (const auto& r : rows) count[r.part].first++, count[r.part].second += r.label == 1;
  std::cout << "split " << rows.size() << " rows of " << labels << ":";
  for (const auto& part : gan::data::split_parts())
    std::cout << " " << part << " " << count[part].first << " (" << count[part].second << " of label 1)";
  std::cout << "\nwrote " << (fs::path(out) / "split.csv").string() << " and train.csv, val.csv, test.csv\n";
  return 0;
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
  try {
    if (cmd == "synth") return aerogan::run_synth(args);
    if (cmd == "split") return aerogan::run_split(args);
    if (cmd == "train") return aerogan::run_train(args);
    if (cmd == "generate") return aerogan::run_generate(args);
    if (cmd == "classify") return aerogan::run_classify(args);
    if (cmd == "cluster") return aerogan::run_cluster(args);
    if (cmd == "evaluate") return aerogan::run_evaluate(args);
    if (cmd == "fid") return aerogan::run_fid(args);
    if (cmd == "pipeline") return aerogan::run_pipeline(args);
    if (cmd == "report") return aerogan::run_report(args);
    std::cerr << "aerogan: unknown command '" << cmd << "'\n" << usage;
    return 2;
  } catch (const gan::data::DataError& e) {
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

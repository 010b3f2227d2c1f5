// aerogan pipeline --config FILE: the whole method from one INI file. Stages:
//   data (the built-in rooftops, when no labels are given) -> classify -> cluster ->
//   train and generate (per GAN variant) -> fid (per variant) -> evaluate -> report.
// Every stage runs the subcommand of the same name with the options of its section, and
// leaves a stamp in OUT/.stages/ when it is done; a stage whose options and inputs have not
// changed since is skipped, so a stopped run continues where it stopped (training resumes
// from its last checkpoint). A stage whose options changed is run again from scratch.
#include "commands.hpp"
#include "config.hpp"

#include <gan/data/csv.hpp>
#include <gan/io/hash.hpp>
#include <gan/data/oversample.hpp>
#include <gan/metrics/fid_inception.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <set>

namespace aerogan {


namespace {

/// An INI file: sections of ordered key = value entries ('_' in keys read as '-').
struct Ini {
  struct Entry {
    std::string key, value;
    int line = 0;
  };
  fs::path file;
  std::string text;
  std::map<std::string, std::vector<Entry>> sections;

  std::string get(const std::string& section, const std::string& key, const std::string& fallback = "") const {
    auto it = sections.find(section);
    if (it == sections.end()) return fallback;
    for (const auto& e : it->second)
      if (e.key == key) return e.value;
    return fallback;
  }
  std::string where(const std::string& section, const std::string& key) const {
    for (const auto& e : sections.at(section))
      if (e.key == key) return file.string() + ":" + std::to_string(e.line);
    return file.string();
  }
};

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}

Ini read_ini(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument("cannot open the config file " + file.string());
  Ini ini;
  ini.file = file;
  std::string section, line;
  for (int number = 1; std::getline(in, line); ++number) {
    ini.text += line + "\n";
    // Comments: a line starting with # or ;, or " #" / " ;" after a value.
    for (const char* mark : {" #", "\t#", " ;", "\t;"})
      if (auto at = line.find(mark); at != std::string::npos) line = line.substr(0, at);
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']')
        throw std::invalid_argument(file.string() + ":" + std::to_string(number) + ": bad section header '" + line + "'");
      section = trim(line.substr(1, line.size() - 2));
      ini.sections[section];
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || section.empty())
      throw std::invalid_argument(file.string() + ":" + std::to_string(number) + ": expected 'key = value' inside a [section], got '" + line + "'");
    std::string key = trim(line.substr(0, eq));
    std::replace(key.begin(), key.end(), '_', '-');
    auto& entries = ini.sections[section];
    for (const auto& e : entries)
      if (e.key == key)
        throw std::invalid_argument(file.string() + ":" + std::to_string(number) + ": '" + key + "' is already set in [" +
                                    section + "] at line " + std::to_string(e.line));
    entries.push_back({key, trim(line.substr(eq + 1)), number});
  }
  return ini;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!trim(item).empty()) out.push_back(trim(item));
  return out;
}

/// "--key=value" for every entry of the sections (but `skip`), later sections overriding
/// earlier ones. (One token each: options with an implicit value take no separate token.)
std::vector<std::string> section_args(const Ini& ini, const std::vector<std::string>& names,
                                      const std::set<std::string>& skip = {}) {
  std::vector<std::pair<std::string, std::string>> merged;
  for (const auto& name : names) {
    auto it = ini.sections.find(name);
    if (it == ini.sections.end()) continue;
    for (const auto& e : it->second) {
      if (skip.count(e.key)) continue;
      auto found = std::find_if(merged.begin(), merged.end(), [&](const auto& kv) { return kv.first == e.key; });
      if (found != merged.end())
        found->second = e.value;
      else
        merged.emplace_back(e.key, e.value);
    }
  }
  std::vector<std::string> args;
  for (const auto& [k, v] : merged) args.push_back("--" + k + "=" + v);
  return args;
}

struct Stage {
  std::string name;
  /// The subcommand's arguments; computed when the stage's turn comes (after its inputs exist).
  std::function<std::vector<std::string>()> args;
  std::function<int(const std::vector<std::string>&)> run;
  /// What the stage writes: removed before it runs again with other options.
  std::vector<fs::path> outputs;
  std::vector<std::string> deps;
  /// Anything else the outputs depend on (the report: the config file's text).
  std::string salt = {};
};

}  // namespace

int run_pipeline(const std::vector<std::string>& args) {
  std::string config, force;
  bool dry_run = false;
  po::options_description desc(
      "aerogan pipeline --config FILE: the whole method (classify, cluster, train, generate, fid,\n"
      "evaluate, report) from one INI file; finished stages are skipped when run again");
  desc.add_options()("help,h", "this help")
      ("config", po::value(&config), "the INI file (see examples/configs/)")
      ("force", po::value(&force), "stages to run again even when up to date, e.g. evaluate,report, or all")
      ("dry-run", po::bool_switch(&dry_run), "print what would run, run nothing");
  po::variables_map vm;
  if (!parse_or_help(args, desc, vm)) return 0;
  if (config.empty()) throw std::invalid_argument("give --config FILE.ini (see examples/configs/)");
  const Ini ini = read_ini(config);

  // Sections and the keys of the pipeline's own sections.
  const std::map<std::string, std::set<std::string>> own{
      {"pipeline", {"out", "seed", "device", "variants", "conditioning", "split"}},
      {"data", {"labels", "data-dir", "target-labels", "target-data-dir", "count", "size", "positive-ratio",
                "target-count", "target-positive-ratio", "seed"}}};
  std::set<std::string> known{"pipeline", "data", "classify", "cluster", "train", "generate", "fid", "evaluate"};
  const auto variant_names = split_list(ini.get("pipeline", "variants", "vanilla"));
  if (variant_names.empty()) throw std::invalid_argument(ini.file.string() + ": [pipeline] variants is empty");
  for (const auto& v : variant_names) {
    if (std::find(variants().begin(), variants().end(), v) == variants().end()) {
      std::string list;
      for (const auto& o : variants()) list += (list.empty() ? "" : ", ") + o;
      throw std::invalid_argument(ini.where("pipeline", "variants") + ": unknown variant '" + v + "' in [pipeline] variants (one of: " + list + ")");
    }
    known.insert("train." + v);
  }
  for (const auto& [name, entries] : ini.sections) {
    if (!known.count(name))
      throw std::invalid_argument(ini.file.string() + ": unknown section [" + name + "] (sections: pipeline, data, classify, cluster, train, train.VARIANT for each of [pipeline] variants, generate, fid, evaluate)");
    if (auto it = own.find(name); it != own.end())
      for (const auto& e : entries)
        if (!it->second.count(e.key))
          throw std::invalid_argument(ini.file.string() + ":" + std::to_string(e.line) + ": unknown key '" + e.key + "' in [" + name + "]");
  }
  // Options the pipeline sets itself may not be given in the stage sections.
  const std::map<std::string, std::set<std::string>> reserved{
      {"classify", {"labels", "data-dir", "out", "model-name", "seed", "device"}},
      {"cluster", {"features", "out", "data-dir", "seed"}},
      {"train", {"labels", "csv-file", "data-dir", "out", "model-name", "variant", "seed", "device", "resume", "config"}},
      {"fid", {"real", "fake", "classifier", "out", "cache-dir", "device", "real-class", "fake-class", "real-data-dir",
               "fake-data-dir", "real-size", "real-clusters"}},
      {"generate", {"model", "out", "n", "classes", "shares", "device"}},
      {"evaluate", {"labels", "data-dir", "target-labels", "target-data-dir", "synthetic", "out", "seed", "device",
                    "split", "split-file", "split-seed", "resplit"}}};
  for (const auto& [name, entries] : ini.sections) {
    const auto base = name.rfind("train.", 0) == 0 ? std::string("train") : name;
    if (auto it = reserved.find(base); it != reserved.end())
      for (const auto& e : entries)
        if (it->second.count(e.key))
          throw std::invalid_argument(ini.file.string() + ":" + std::to_string(e.line) + ": '" + e.key + "' in [" + name +
                                      "] is set by the pipeline itself (see [pipeline] and [data])");
  }

  const fs::path out = ini.get("pipeline", "out", "out/pipeline");
  const std::string seed = ini.get("pipeline", "seed", "0"), device = ini.get("pipeline", "device", "cpu");
  const std::string conditioning = ini.get("pipeline", "conditioning", "clusters");
  one_of("conditioning", conditioning, {"clusters", "classes"});
  one_of("device", device, {"cpu", "cuda"});

  // The data: given, or the built-in rooftops of two regions.
  std::string labels = ini.get("data", "labels"), data_dir = ini.get("data", "data-dir"),
              target_labels = ini.get("data", "target-labels"), target_dir = ini.get("data", "target-data-dir");
  const bool synth = labels.empty();
  if (data_dir.empty() && !synth) data_dir = fs::path(labels).parent_path().string();
  if (target_dir.empty() && !target_labels.empty()) target_dir = fs::path(target_labels).parent_path().string();
  if (synth) {
    labels = (out / "data" / "source" / "labels.csv").string();
    data_dir = (out / "data" / "source").string();
    target_labels = (out / "data" / "target" / "labels.csv").string();
    target_dir = (out / "data" / "target").string();
  }
  const double share = std::stod(ini.get("evaluate", "target-share", "0.35"));
  std::string fid_features = ini.get("fid", "features", "auto");
  one_of("fid features", fid_features, {"auto", "inception", "classifier", "both"});
  if (fid_features == "auto") {
    try {
      gan::metrics::find_fid_weights(ini.get("fid", "weights"));
      fid_features = "inception";
    } catch (const std::exception&) {
      fid_features = "classifier";
      std::cout << "pipeline: the FID Inception weights are not here; the Fréchet distance is computed in the "
                   "classifier's features (set [fid] weights to pt_inception-2015-12-05-6726825d.pth for FID)\n";
    }
  }
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };

  std::vector<Stage> stages;
  if (synth) {
    stages.push_back({"data", [&] {
                        return std::vector<std::string>{ini.get("data", "count", "1200"), ini.get("data", "size", "32"),
                                                        ini.get("data", "positive-ratio", "0.2"),
                                                        ini.get("data", "target-count", "600"),
                                                        ini.get("data", "target-positive-ratio", "0.07"),
                                                        ini.get("data", "seed", "1")};
                      },
                      [&](const std::vector<std::string>& a) {
                        run_synth({"--out", (out / "data" / "source").string(), "--count", a[0], "--size", a[1],
                                   "--positive-ratio", a[2], "--region", "source", "--seed", a[5]});
                        return run_synth({"--out", (out / "data" / "target").string(), "--count", a[3], "--size", a[1],
                                          "--positive-ratio", a[4], "--region", "target", "--seed", a[5] + "1"});
                      },
                      {out / "data"},
                      {}});
  }
  // The one split, made before any stage sees the data: classify, cluster and the GANs see the
  // training part only; evaluate keeps validation for model selection and test for the numbers.
  const fs::path split_dir = out / "split";
  const std::string train_labels = (split_dir / "train.csv").string(), split_csv = (split_dir / "split.csv").string();
  const std::string split_fractions = ini.get("pipeline", "split", "0.7,0.2,0.1");
  parse_split(split_fractions);
  stages.push_back({"split", [&] {
                      return std::vector<std::string>{"--labels", labels, "--out", split_dir.string(), "--split",
                                                      split_fractions, "--seed", seed};
                    },
                    run_split, {split_dir}, synth ? std::vector<std::string>{"data"} : std::vector<std::string>{}});
  const std::vector<std::string> data_dep{"split"};
  stages.push_back({"classify", [&] {
                      return with({"--labels", train_labels, "--data-dir", data_dir, "--out", out.string(), "--model-name",
                                   "classifier", "--seed", seed, "--device", device},
                                  section_args(ini, {"classify"}));
                    },
                    run_classify, {out / "classifier"}, data_dep});
  stages.push_back({"cluster", [&] {
                      return with({"--features", (out / "classifier" / "features.pt").string(), "--out",
                                   (out / "clusters").string(), "--data-dir", data_dir, "--seed", seed},
                                  section_args(ini, {"cluster"}));
                    },
                    run_cluster, {out / "clusters"}, {"classify"}});
  const std::string gan_labels = conditioning == "clusters" ? (out / "clusters" / "clusters.csv").string() : train_labels;
  // The conditioning labels that are positives (class 1, or the clusters mostly made of it),
  // and their shares of the real positives: generate draws in those shares.
  auto positive_clusters = [&] {
    std::vector<std::pair<int64_t, int64_t>> chosen;  // (label, real positives in it)
    if (conditioning == "classes") return std::vector<std::pair<int64_t, int64_t>>{{1, 1}};
    std::map<std::string, int64_t> label_of;
    for (const auto& r : gan::data::read_labels_csv(train_labels)) label_of[r.filename] = r.label;
    std::map<int64_t, std::pair<int64_t, int64_t>> votes;  // cluster -> (negatives, positives)
    for (const auto& r : gan::data::read_labels_csv(gan_labels)) {
      auto it = label_of.find(r.filename);
      if (it == label_of.end()) continue;
      (it->second == 1 ? votes[r.label].second : votes[r.label].first)++;
    }
    for (const auto& [c, v] : votes)
      if (v.second > v.first) chosen.emplace_back(c, v.second);
    if (chosen.empty()) throw std::runtime_error(gan_labels + ": no cluster is mostly positive; nothing to generate");
    return chosen;
  };
  // --classes and --shares of generate, from one reading of the clusters.
  auto positive_args = [&] {
    std::string ids, shares;
    for (const auto& [c, count] : positive_clusters()) {
      ids += (ids.empty() ? "" : ",") + std::to_string(c);
      shares += (shares.empty() ? "" : ",") + std::to_string(count);
    }
    return std::vector<std::string>{"--classes", ids, "--shares", shares};
  };
  // The GAN's image size (its [train] sections), to which FID resizes the real side.
  auto train_img_size = [&](const std::string& v) {
    std::string size = "96";  // train's default
    for (const auto& a : section_args(ini, {"train", "train." + v}))
      if (a.rfind("--img-size=", 0) == 0) size = a.substr(11);
    return size;
  };
  // The training part's size and positives.
  auto train_counts = [&] {
    const auto rows = gan::data::read_labels_csv(train_labels);
    int64_t pos = 0;
    for (const auto& r : rows) pos += r.label == 1;
    return std::pair{int64_t(rows.size()), pos};
  };
  // Enough generated positives for the target share of the training part and for the FID.
  auto n_generate = [&] {
    const auto [n, pos] = train_counts();
    const int64_t fid_n = std::stoll(ini.get("fid", "n", "512"));
    return std::to_string(std::max(fid_n, gan::data::extra_needed(n, pos, share)));
  };
  std::vector<std::string> synthetic, all_gan_stages;
  for (const auto& v : variant_names) {
    const fs::path model = out / "gans" / v;
    stages.push_back({"train." + v, [&, v] {
                        return with({"--labels", gan_labels, "--data-dir", data_dir, "--out", (out / "gans").string(),
                                     "--model-name", v, "--variant", v, "--seed", seed, "--device", device, "--resume"},
                                    section_args(ini, {"train", "train." + v}));
                      },
                      run_train, {model}, conditioning == "clusters" ? std::vector<std::string>{"cluster"} : data_dep});
    stages.push_back({"generate." + v, [&, v, model] {
                        return with(with({"--model", model.string(), "--out", (model / "generated").string(), "--n",
                                          n_generate(), "--device", device},
                                         positive_args()),
                                    section_args(ini, {"generate"}));
                      },
                      run_generate, {model / "generated"}, {"train." + v}});
    std::vector<std::string> spaces;
    if (fid_features == "both") spaces = {"inception", "classifier"};
    else spaces = {fid_features};
    for (const auto& space : spaces) {
      const auto csv = out / "fid" / (v + "-" + space + ".csv");
      stages.push_back({"fid." + v + "." + space, [&, v, model, space, csv] {
                          std::vector<std::string> a{train_labels, (model / "generated").string(), "--real-data-dir", data_dir,
                                                     "--real-class", "1", "--real-size", train_img_size(v), "--features", space,
                                                     "--classifier", (out / "classifier").string(), "--out", csv.string(),
                                                     "--cache-dir", (out / "fid" / "cache").string(), "--device", device};
                          if (conditioning == "clusters") a = with(a, {"--real-clusters", gan_labels});
                          // At most n a side (the paper: 512), and no more than the training part's positives.
                          const int64_t n_fid = std::min<int64_t>(std::stoll(ini.get("fid", "n", "512")), train_counts().second);
                          a = with(a, {"--n", std::to_string(n_fid)});
                          return with(a, section_args(ini, {"fid"}, {"features", "n"}));
                        },
                        run_fid, {csv}, {"generate." + v, "classify", conditioning == "clusters" ? "cluster" : "split"}});
      all_gan_stages.push_back("fid." + v + "." + space);
    }
    synthetic.push_back(v + "=" + (model / "generated" / "labels.csv").string());
    all_gan_stages.push_back("generate." + v);
  }
  stages.push_back({"evaluate", [&] {
                      std::vector<std::string> a{"--labels", labels, "--data-dir", data_dir, "--split-file", split_csv,
                                                 "--out", (out / "evaluate").string(), "--seed", seed, "--device", device};
                      if (!target_labels.empty()) a = with(a, {"--target-labels", target_labels, "--target-data-dir", target_dir});
                      for (const auto& s : synthetic) a = with(a, {"--synthetic", s});
                      return with(a, section_args(ini, {"evaluate"}));
                    },
                    run_evaluate, {out / "evaluate"}, with(all_gan_stages, data_dep)});
  // The report reads everything; its signature includes the config file's text.
  std::vector<std::string> every;
  for (const auto& s : stages) every.push_back(s.name);
  stages.push_back({"report", [&] {
                      std::vector<std::string> a{"--dir", out.string(), "--config", config, "--source-labels", labels,
                                                 "--split", split_csv};
                      if (!target_labels.empty()) a = with(a, {"--target-labels", target_labels});
                      return a;
                    },
                    run_report, {out / "report.md", out / "report.html"}, every, ini.text});

  // Every stage section is parsed by its subcommand now, so that a misspelt option stops the
  // run before hours of training rather than after.
  {
    std::vector<std::tuple<std::string, std::function<int(const std::vector<std::string>&)>, std::vector<std::string>>> checks{
        {"split", run_split, {}},
        {"classify", run_classify, section_args(ini, {"classify"})},
        {"cluster", run_cluster, section_args(ini, {"cluster"})},
        {"generate", run_generate, section_args(ini, {"generate"})},
        {"fid", run_fid, section_args(ini, {"fid"}, {"features"})},
        {"evaluate", run_evaluate, section_args(ini, {"evaluate"})}};
    for (const auto& v : variant_names) checks.emplace_back("train." + v, run_train, section_args(ini, {"train", "train." + v}));
    struct Reset {
      ~Reset() { options_check_only() = false; }
    } reset;
    options_check_only() = true;
    for (const auto& [section, run, a] : checks) {
      try {
        run(a);
      } catch (const po::error& e) {
        throw std::invalid_argument(ini.file.string() + ": [" + (section.rfind("train.", 0) == 0 ? "train] or [" + section : section) +
                                    "]: " + e.what() + " (aerogan " + section.substr(0, section.find('.')) + " --help lists the options)");
      }
    }
  }

  // The filter of --force.
  std::set<std::string> forced;
  for (const auto& f : split_list(force)) forced.insert(f);
  std::map<std::string, std::string> signature;
  const fs::path stamps = out / ".stages";
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& s : stages) {
    std::vector<std::string> a;
    try {
      a = s.args();
    } catch (const std::exception& e) {
      if (!dry_run) throw;
      // Its options depend on what earlier stages write (e.g. the positive clusters).
      std::cout << "== " << s.name << ": would run after the stages before it (" << e.what() << ")\n";
      signature[s.name] = "?";
      continue;
    }
    std::string sig = s.name;
    for (const auto& x : a) sig += '\x1f' + x;
    for (const auto& d : s.deps) sig += '\x1e' + signature.at(d);
    sig += '\x1d' + s.salt;
    sig = gan::io::hex64(gan::io::fnv1a(sig));
    signature[s.name] = sig;
    const auto stamp = stamps / s.name;
    std::string state;
    {
      std::ifstream in(stamp);
      std::getline(in, state);
    }
    bool outputs = true;
    for (const auto& o : s.outputs) outputs = outputs && fs::exists(o);
    const bool force_this = forced.count("all") || forced.count(s.name) ||
                            std::any_of(forced.begin(), forced.end(), [&](const std::string& f) {
                              return s.name.rfind(f + ".", 0) == 0;
                            });
    if (state == "done " + sig && outputs && !force_this) {
      std::cout << "== " << s.name << ": up to date, skipped\n";
      continue;
    }
    std::string cmd = "aerogan " + s.name.substr(0, s.name.find('.'));
    if (s.name == "data") cmd = "aerogan synth (source and target regions)";
    for (const auto& x : a) cmd += " " + x;
    if (dry_run) {
      std::cout << "== " << s.name << ": would run (" << (state.empty() ? "not run yet" : state.rfind("done", 0) == 0 ? "options or inputs changed" : "stopped before the end") << ")\n   " << cmd << "\n";
      continue;
    }
    // Another configuration's outputs are removed; a stopped run of this one continues.
    if (state != "running " + sig || force_this)
      for (const auto& o : s.outputs) fs::remove_all(o);
    gan::io::write_file_atomically(stamp, "running " + sig + "\n");
    std::cout << "== " << s.name << ": running\n   " << cmd << std::endl;
    const auto start = std::chrono::steady_clock::now();
    int rc = 0;
    try {
      rc = s.run(a);
    } catch (const po::error& e) {
      throw std::invalid_argument("stage " + s.name + " (its section in " + config + "): " + e.what());
    }
    if (rc != 0) throw std::runtime_error("stage " + s.name + " failed with exit code " + std::to_string(rc));
    gan::io::write_file_atomically(stamp, "done " + sig + "\n");
    std::cout << "== " << s.name << ": done in " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s"
              << std::defaultfloat << std::endl;
  }
  if (!dry_run)
    std::cout << "pipeline: finished in " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n"
              << "the report: " << (out / "report.html").string() << " (and report.md)\n";
  return 0;
}

}  // namespace aerogan

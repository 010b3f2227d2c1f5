// aerogan pipeline --config FILE: the whole method from one INI file. Stages:
//   data (the built-in rooftops, when no labels are given) -> classify -> cluster ->
//   train and generate (per GAN variant) -> fid (per variant) -> evaluate -> report.
// Every stage runs the subcommand of the same name with the options of its section, and
// leaves a stamp in OUT/.stages/ when it is done; a stage whose options and inputs have not
// changed since is skipped, so a stopped run continues where it stopped (training resumes
// from its last checkpoint). A stage whose options changed is run again from scratch.
#include "config.hpp"

#include <gan/data/csv.hpp>
#include <gan/data/oversample.hpp>
#include <gan/experiment/positive_clusters.hpp>
#include <gan/io/atomic_file.hpp>
#include <gan/io/hash.hpp>
#include <gan/io/ini.hpp>
#include <gan/metrics/fid_inception.hpp>

#include <chrono>
#include <functional>
#include <iomanip>
#include <map>
#include <set>

namespace aerogan {

namespace {

using gan::io::Ini;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (const auto t = gan::io::trim(item); !t.empty()) out.push_back(t);
  return out;
}

/// "--key=value" for every entry of the sections (but `skip`), later sections overriding
/// earlier ones.
std::vector<std::string> section_args(const Ini& ini, const std::vector<std::string>& names,
                                      const std::set<std::string>& skip = {}) {
  std::vector<gan::io::IniEntry> merged;
  for (const auto& name : names) {
    auto it = ini.sections.find(name);
    if (it == ini.sections.end()) continue;
    for (const auto& e : it->second) {
      if (skip.count(e.key)) continue;
      auto found = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return m.key == e.key; });
      if (found != merged.end()) *found = e;
      else merged.push_back(e);
    }
  }
  return ini_args(merged);
}

using Args = std::vector<std::string>;

Args with(Args a, const Args& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

/// The option names in `args` ("--name VALUE" or "--name=VALUE").
std::set<std::string> names_in(const Args& args) {
  std::set<std::string> out;
  for (const auto& a : args)
    if (a.rfind("--", 0) == 0) out.insert(a.substr(2, a.find('=') - 2));
  return out;
}

struct Stage {
  std::string name;
  /// The sections its options come from (train: [train] and [train.VARIANT]).
  std::vector<std::string> sections;
  /// What the pipeline gives it, known before anything runs.
  Args given;
  /// The names of what it gives it once the stages before have run, and how to compute them.
  std::vector<std::string> late_names;
  std::function<Args()> late;
  /// The options of its sections.
  Args section;
  /// Parses and validates its options (the subcommand's XOptions), and runs it.
  std::function<void(const Args&)> check;
  std::function<int(const Args&)> run;
  /// What the stage writes: removed before it runs again with other options.
  std::vector<fs::path> outputs;
  std::vector<std::string> deps;
  /// Anything else the outputs depend on (the report: the config file's text).
  std::string salt = {};
  /// The option names its sections may not set: the pipeline sets them (and their aliases).
  std::set<std::string> reserved = {};

  Args args() const { return with(with(given, late ? late() : Args{}), section); }
};

/// The names of an Options' options that are the same value as `name` (itself and its aliases).
template <class Options>
std::set<std::string> same_value(const std::set<std::string>& names) {
  Options o;
  OptionSet set(Options::caption());
  o.describe(set);
  std::set<std::string> out{"config", "help"};
  for (const auto& opt : set.options())
    for (const auto& n : names)
      if (opt.name == n || set.same_target(opt.name, n)) out.insert(opt.name);
  return out;
}

/// A stage that runs subcommand Options.
template <class Options>
Stage stage(std::string name, std::vector<std::string> sections, Args given, Args section, std::vector<fs::path> outputs,
            std::vector<std::string> deps, std::vector<std::string> late_names = {}, std::function<Args()> late = {}) {
  Stage s;
  s.name = std::move(name);
  s.sections = std::move(sections);
  s.given = std::move(given);
  s.section = std::move(section);
  s.late_names = std::move(late_names);
  s.late = std::move(late);
  auto names = names_in(s.given);
  names.insert(s.late_names.begin(), s.late_names.end());
  s.reserved = same_value<Options>(names);
  s.check = [](const Args& a) { parse<Options>(a, false); };
  s.run = [](const Args& a) { return run_command<Options>(a); };
  s.outputs = std::move(outputs);
  s.deps = std::move(deps);
  return s;
}

}  // namespace

int run(const PipelineOptions& po_) {
  const std::string& config = po_.config;
  const bool dry_run = po_.dry_run;
  Ini ini;
  try {
    ini = gan::io::read_ini(config);
  } catch (const gan::Error& e) {
    throw std::invalid_argument(std::string("the config file ") + e.what());
  }
  auto at_line = [&](int64_t line) { return ini.file.string() + ":" + std::to_string(line); };

  // Sections and the keys of the pipeline's own sections.
  const std::map<std::string, std::set<std::string>> own{
      {"pipeline", {"out", "seed", "device", "variants", "conditioning", "split", "nproc"}},
      {"data", {"labels", "data-dir", "target-labels", "target-data-dir", "count", "size", "positive-ratio",
                "target-count", "target-positive-ratio", "seed"}}};
  std::set<std::string> known{"pipeline", "data", "classify", "cluster", "train", "generate", "fid", "evaluate"};
  const auto variant_names = split_list(ini.get("pipeline", "variants", "vanilla"));
  if (variant_names.empty()) throw std::invalid_argument(ini.where("pipeline", "variants") + ": [pipeline] variants is empty");
  // A GAN is named by its variant, or by a name of its own whose [train.NAME] says `variant =`
  // (e.g. vanilla-ada: the vanilla variant with --ada), so that one variant can run several ways.
  std::map<std::string, std::string> variant_of;
  const auto is_variant = [](const std::string& v) { return std::find(variants().begin(), variants().end(), v) != variants().end(); };
  for (const auto& v : variant_names) {
    const std::string named = ini.get("train." + v, "variant", "");
    const std::string variant = named.empty() ? v : named;
    if (!is_variant(variant)) {
      std::string list;
      for (const auto& o : variants()) list += (list.empty() ? "" : ", ") + o;
      throw std::invalid_argument(named.empty() ? ini.where("pipeline", "variants") + ": unknown variant '" + v +
                                                      "' in [pipeline] variants (one of: " + list +
                                                      "; or a name of your own with variant = ... in [train." + v + "])"
                                                : ini.where("train." + v, "variant") + ": unknown variant '" + named +
                                                      "' (one of: " + list + ")");
    }
    if (!named.empty() && is_variant(v) && named != v)
      throw std::invalid_argument(ini.where("train." + v, "variant") + ": [train." + v + "] is the " + v + " variant's; name the GAN otherwise to train " + named);
    if (variant_of.count(v)) throw std::invalid_argument(ini.where("pipeline", "variants") + ": '" + v + "' is listed twice");
    variant_of[v] = variant;
    known.insert("train." + v);
  }
  if (!ini.get("train", "variant", "").empty())
    throw std::invalid_argument(ini.where("train", "variant") + ": set a GAN's variant in [pipeline] variants, or in [train.NAME] for a GAN of your own name");
  for (const auto& [name, entries] : ini.sections) {
    if (name.empty() && !entries.empty())
      throw std::invalid_argument(at_line(entries.front().line) + ": '" + entries.front().key + " = ...' is outside a [section]");
    if (!name.empty() && !known.count(name))
      throw std::invalid_argument(ini.file.string() + ": unknown section [" + name + "] (sections: pipeline, data, classify, cluster, train, train.VARIANT for each of [pipeline] variants, generate, fid, evaluate)");
    if (auto it = own.find(name); it != own.end())
      for (const auto& e : entries)
        if (!it->second.count(e.key)) throw std::invalid_argument(at_line(e.line) + ": unknown key '" + e.key + "' in [" + name + "]");
  }

  // The pipeline's own values, checked now.
  auto value_of = [&](const std::string& section, const std::string& key, const std::string& fallback, auto parse_fn) {
    const std::string v = ini.get(section, key, fallback);
    try {
      return parse_fn(v);
    } catch (const std::exception&) {
      throw std::invalid_argument(ini.where(section, key) + ": [" + section + "] " + key + " = '" + v + "' is not a valid value");
    }
  };
  auto integer = [](const std::string& v) {
    size_t used = 0;
    const auto x = std::stoll(v, &used);
    if (used != v.size() || x < 0) throw std::invalid_argument(v);
    return x;
  };
  const fs::path out = ini.get("pipeline", "out", "out/pipeline");
  const std::string seed = std::to_string(value_of("pipeline", "seed", "0", integer));
  const std::string device = ini.get("pipeline", "device", "cpu");
  // Processes for the stages that scale (classify, train, evaluate; docs/distributed.md).
  const std::string nproc = std::to_string(value_of("pipeline", "nproc", "1", integer));
  const std::string conditioning = ini.get("pipeline", "conditioning", "clusters");
  one_of("conditioning", conditioning, {"clusters", "classes"});
  check_device(device);
  const std::string split_fractions = ini.get("pipeline", "split", "0.7,0.2,0.1");
  value_of("pipeline", "split", "0.7,0.2,0.1", [](const std::string& v) { return parse_split(v); });
  const int64_t fid_n = value_of("fid", "n", "512", integer);

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
  const double share = value_of("evaluate", "target-share", "0.35", [](const std::string& v) { return std::stod(v); });
  std::string fid_features = ini.get("fid", "features", "auto");
  one_of("fid features", fid_features, {"auto", "inception", "classifier", "both"});
  std::string fid_notice;  // said once every stage's options are known to be valid
  if (fid_features == "auto") {
    try {
      gan::metrics::find_fid_weights(ini.get("fid", "weights"));
      fid_features = "inception";
    } catch (const std::exception&) {
      fid_features = "classifier";
      fid_notice = "pipeline: the FID Inception weights are not here; the Fréchet distance is computed in the "
                   "classifier's features (set [fid] weights to pt_inception-2015-12-05-6726825d.pth for FID)\n";
    }
  }

  std::vector<Stage> stages;
  if (synth) {
    // Two calls of synth: the source and the target region.
    const auto source_args = Args{"--out", (out / "data" / "source").string(), "--count", ini.get("data", "count", "1200"),
                                  "--size", ini.get("data", "size", "32"), "--positive-ratio",
                                  ini.get("data", "positive-ratio", "0.2"), "--region", "source", "--seed",
                                  ini.get("data", "seed", "1")};
    const auto target_args = Args{"--out", (out / "data" / "target").string(), "--count", ini.get("data", "target-count", "600"),
                                  "--size", ini.get("data", "size", "32"), "--positive-ratio",
                                  ini.get("data", "target-positive-ratio", "0.07"), "--region", "target", "--seed",
                                  ini.get("data", "seed", "1") + "1"};
    Stage s = stage<SynthOptions>("data", {"data"}, with(source_args, target_args), {}, {out / "data"}, {});
    const size_t half = source_args.size();
    auto halves = [half](const Args& a) { return std::pair{Args(a.begin(), a.begin() + long(half)), Args(a.begin() + long(half), a.end())}; };
    s.check = [halves](const Args& a) {
      parse<SynthOptions>(halves(a).first, false);
      parse<SynthOptions>(halves(a).second, false);
    };
    s.run = [halves](const Args& a) {
      run_command<SynthOptions>(halves(a).first);
      return run_command<SynthOptions>(halves(a).second);
    };
    s.reserved.clear();
    stages.push_back(s);
  }
  // The one split, made before any stage sees the data: classify, cluster and the GANs see the
  // training part only; evaluate keeps validation for model selection and test for the numbers.
  const fs::path split_dir = out / "split";
  const std::string train_labels = (split_dir / "train.csv").string(), split_csv = (split_dir / "split.csv").string();
  stages.push_back(stage<SplitOptions>("split", {}, {"--labels", labels, "--out", split_dir.string(), "--split", split_fractions, "--seed", seed},
                                       {}, {split_dir}, synth ? std::vector<std::string>{"data"} : std::vector<std::string>{}));
  const std::vector<std::string> data_dep{"split"};
  stages.push_back(stage<ClassifyOptions>("classify", {"classify"},
                                          {"--labels", train_labels, "--data-dir", data_dir, "--out", out.string(), "--model-name",
                                           "classifier", "--seed", seed, "--device", device, "--nproc", nproc},
                                          section_args(ini, {"classify"}), {out / "classifier"}, data_dep));
  stages.push_back(stage<ClusterOptions>("cluster", {"cluster"},
                                         {"--features", (out / "classifier" / "features.pt").string(), "--out",
                                          (out / "clusters").string(), "--data-dir", data_dir, "--seed", seed},
                                         section_args(ini, {"cluster"}), {out / "clusters"}, {"classify"}));
  const std::string gan_labels = conditioning == "clusters" ? (out / "clusters" / "clusters.csv").string() : train_labels;
  // --classes and --shares of generate: the positive clusters and their real positives (class 1
  // when the GANs are conditioned on the classes).
  auto positive_args = [&] {
    std::vector<gan::experiment::PositiveCluster> chosen{{1, 1}};
    if (conditioning == "clusters")
      chosen = gan::experiment::positive_clusters(gan::data::read_labels_csv(train_labels), gan::data::read_labels_csv(gan_labels));
    std::string ids, shares;
    for (const auto& [c, count] : chosen) {
      ids += (ids.empty() ? "" : ",") + std::to_string(c);
      shares += (shares.empty() ? "" : ",") + std::to_string(count);
    }
    return Args{"--classes", ids, "--shares", shares};
  };
  // The training part's size and positives.
  auto train_counts = [&] {
    const auto rows = gan::data::read_labels_csv(train_labels);
    int64_t pos = 0;
    for (const auto& r : rows) pos += r.label == 1;
    return std::pair{int64_t(rows.size()), pos};
  };
  std::vector<std::string> synthetic, all_gan_stages;
  for (const auto& v : variant_names) {
    const fs::path model = out / "gans" / v;
    const auto train_section = section_args(ini, {"train", "train." + v}, {"variant"});
    stages.push_back(stage<TrainOptions>("train." + v, {"train", "train." + v},
                                         {"--labels", gan_labels, "--data-dir", data_dir, "--out", (out / "gans").string(),
                                          "--model-name", v, "--variant", variant_of.at(v), "--seed", seed, "--device", device, "--resume",
                                          "--nproc", nproc},
                                         train_section, {model}, conditioning == "clusters" ? std::vector<std::string>{"cluster"} : data_dep));
    stages.back().reserved.erase("variant");  // [train.NAME] variant = ... names it (checked above)
    // Enough generated positives for the target share of the training part and for the FID.
    stages.push_back(stage<GenerateOptions>(
        "generate." + v, {"generate"}, {"--model", model.string(), "--out", (model / "generated").string(), "--device", device},
        section_args(ini, {"generate"}), {model / "generated"}, {"train." + v}, {"n", "classes", "shares"}, [&, fid_n] {
          const auto [n, pos] = train_counts();
          return with({"--n", std::to_string(std::max(fid_n, gan::data::extra_needed(n, pos, share)))}, positive_args());
        }));
    // The GAN's image size (its [train] sections), to which FID resizes the real side.
    std::string img_size = std::to_string(TrainOptions{}.img_size);
    for (const auto& a : train_section)
      if (a.rfind("--img-size=", 0) == 0) img_size = a.substr(11);
    std::vector<std::string> spaces;
    if (fid_features == "both") spaces = {"inception", "classifier"};
    else spaces = {fid_features};
    for (const auto& space : spaces) {
      const auto csv = out / "fid" / (v + "-" + space + ".csv");
      Args given{"--real", train_labels, "--fake", (model / "generated").string(), "--real-data-dir", data_dir, "--real-class", "1",
                 "--real-size", img_size, "--features", space, "--classifier", (out / "classifier").string(), "--out", csv.string(),
                 "--cache-dir", (out / "fid" / "cache").string(), "--device", device};
      if (conditioning == "clusters") given = with(given, {"--real-clusters", gan_labels});
      // At most n a side (the paper: 512), and no more than the training part's positives.
      auto s = stage<FidOptions>("fid." + v + "." + space, {"fid"}, given, section_args(ini, {"fid"}, {"features", "n"}), {csv},
                                 {"generate." + v, "classify", conditioning == "clusters" ? "cluster" : "split"}, {"n"},
                                 [&, fid_n] { return Args{"--n", std::to_string(std::min<int64_t>(fid_n, train_counts().second))}; });
      s.reserved.erase("features");  // [fid] features and n are the pipeline's: which spaces, and the cap
      s.reserved.erase("n");
      stages.push_back(s);
      all_gan_stages.push_back("fid." + v + "." + space);
    }
    synthetic.push_back(v + "=" + (model / "generated" / "labels.csv").string());
    all_gan_stages.push_back("generate." + v);
  }
  {
    Args given{"--labels", labels, "--data-dir", data_dir, "--split-file", split_csv, "--out", (out / "evaluate").string(), "--seed", seed,
               "--device", device, "--nproc", nproc};
    if (!target_labels.empty()) given = with(given, {"--target-labels", target_labels, "--target-data-dir", target_dir});
    for (const auto& x : synthetic) given = with(given, {"--synthetic", x});
    auto s = stage<EvaluateOptions>("evaluate", {"evaluate"}, given, section_args(ini, {"evaluate"}), {out / "evaluate"},
                                    with(all_gan_stages, data_dep));
    s.reserved.insert({"split", "split-seed", "resplit"});
    stages.push_back(s);
  }
  // The report reads everything; its signature includes the config file's text.
  {
    std::vector<std::string> every;
    for (const auto& s : stages) every.push_back(s.name);
    Args given{"--dir", out.string(), "--config", config, "--source-labels", labels, "--split", split_csv};
    if (!target_labels.empty()) given = with(given, {"--target-labels", target_labels});
    auto s = stage<ReportOptions>("report", {}, given, {}, {out / "report.md", out / "report.html"}, every);
    s.salt = ini.text;
    stages.push_back(s);
  }

  // Every stage's options are built and validated now, names and values, so that a misspelt
  // option or a wrong value stops the run before hours of training rather than after.
  for (const auto& s : stages) {
    for (const auto& section : s.sections)
      if (auto it = ini.sections.find(section); it != ini.sections.end() && s.name != "data")
        for (const auto& e : it->second)
          if (s.reserved.count(e.key))
            throw std::invalid_argument(at_line(e.line) + ": '" + e.key + "' in [" + section + "] is set by the pipeline itself (see [pipeline] and [data])");
    const std::string where = s.sections.empty() ? "" : s.sections.size() == 1 ? "[" + s.sections[0] + "]" : "[" + s.sections[0] + "] or [" + s.sections[1] + "]";
    try {
      s.check(with(s.given, s.section));
    } catch (const po::error& e) {
      throw std::invalid_argument(ini.file.string() + ": " + where + ": " + e.what() + " (aerogan " + s.name.substr(0, s.name.find('.')) + " --help lists the options)");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(ini.file.string() + ": " + where + ": " + e.what());
    }
  }
  std::cout << fid_notice;

  // The filter of --force.
  std::set<std::string> forced;
  for (const auto& f : split_list(po_.force)) forced.insert(f);
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

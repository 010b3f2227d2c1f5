#pragma once
// The one shape of aerogan's subcommands. Each has an options struct XOptions with
//   void describe(OptionSet&)   its options: names, targets, defaults, help;
//   void validate()             every value checked (and the derived ones resolved); throws
//                               std::invalid_argument naming the option and the value;
// and `int run(const XOptions&)`, which calls the library and prints. `parse<XOptions>(args)`
// reads a command line (and --config FILE, an INI file of the same options, which the command
// line overrides) into a validated XOptions; the pipeline builds every stage's options the
// same way from its INI sections and validates all of them before the first stage runs. An
// OptionSet also writes the options back as INI (a GAN's config.ini), from the same
// description. Device, seed and out are declared by one function each.
#include <gan/error.hpp>
#include <gan/io/ini.hpp>

#include <boost/program_options.hpp>

#include <charconv>
#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace aerogan {

namespace po = boost::program_options;

/// Throws std::invalid_argument "--WHAT 'V' is not one of: A, B" unless `v` is in `ok`.
inline void one_of(const std::string& what, const std::string& v, const std::vector<std::string>& ok) {
  for (const auto& o : ok)
    if (v == o) return;
  std::string list;
  for (const auto& o : ok) list += (list.empty() ? "" : ", ") + o;
  throw std::invalid_argument("--" + what + " '" + v + "' is not one of: " + list);
}

/// A number as an INI file or a command line shows it: the shortest of 6 to 17 significant
/// digits that reads back to the same double (0.0001, not 1e-04 or 0.00010000000000000000479).
inline std::string format_number(double v) {
  for (int digits = 6; digits <= 17; ++digits) {
    std::ostringstream o;
    o.precision(digits);
    o << v;
    if (std::stod(o.str()) == v || digits == 17) return o.str();
  }
  return {};
}

/// A subcommand's options, described once: they give the Boost description that parses a
/// command line, the INI that records a run's options, and the names a pipeline section may use.
class OptionSet {
 public:
  using Target = std::variant<int*, int64_t*, uint64_t*, double*, bool*, std::string*, std::vector<std::string>*>;
  enum class Kind { value, flag, toggle, alias };
  struct Option {
    std::string name;
    Target target;
    std::string help;
    Kind kind = Kind::value;
    bool saved = true;  // written by ini()
    size_t group = 0;
  };

  explicit OptionSet(std::string caption) { groups_.push_back(std::move(caption)); }

  /// `--NAME VALUE`, its default the target's value now (none shown for an empty string).
  template <class T>
  OptionSet& add(const std::string& name, T* target, const std::string& help) {
    return push({name, target, help, Kind::value});
  }
  /// A bool that `--NAME` alone turns on (`--NAME false` turns it off).
  OptionSet& flag(const std::string& name, bool* target, const std::string& help) {
    return push({name, target, help, Kind::flag});
  }
  /// A switch: `--NAME` takes no value; not written to the INI.
  OptionSet& toggle(const std::string& name, bool* target, const std::string& help) {
    return push({name, target, help, Kind::toggle, false});
  }
  /// Another name of an option (or a value that is read, not recorded): not written to the INI.
  template <class T>
  OptionSet& alias(const std::string& name, T* target, const std::string& help) {
    return push({name, target, help, Kind::alias, false});
  }
  /// The options after this go under a new caption in --help.
  OptionSet& group(std::string caption) {
    groups_.push_back(std::move(caption));
    return *this;
  }
  /// The first positional argument is read as --NAME, the next as the next call's NAME.
  OptionSet& positional(const std::string& name) {
    positional_.push_back(name);
    return *this;
  }

  const std::vector<Option>& options() const { return options_; }
  const std::vector<std::string>& positionals() const { return positional_; }

  /// True when `a` and `b` are names of the same value (an option and its alias).
  bool same_target(const std::string& a, const std::string& b) const {
    const Option *x = find(a), *y = find(b);
    return x && y && x->target == y->target;
  }
  const Option* find(const std::string& name) const {
    for (const auto& o : options_)
      if (o.name == name) return &o;
    return nullptr;
  }

  /// The Boost description (with --help).
  po::options_description boost() const {
    std::vector<po::options_description> groups;
    for (const auto& g : groups_) groups.emplace_back(g);
    groups.front().add_options()("help,h", "this help");
    for (const auto& o : options_) {
      auto& d = groups[o.group];
      std::visit([&](auto* t) { add_to(d, o, t); }, o.target);
    }
    po::options_description all;
    for (auto& g : groups) all.add(g);
    return all;
  }

  /// "key = value" for every recorded option with its current value (an empty string as a
  /// comment), in the order described.
  std::string ini(const std::string& title) const {
    std::ostringstream out;
    out << "# " << title << "\n";
    for (const auto& o : options_) {
      if (!o.saved) continue;
      std::visit(
          [&](auto* t) {
            using T = std::remove_pointer_t<decltype(t)>;
            if constexpr (std::is_same_v<T, std::string>) {
              out << (t->empty() ? "# " : "") << o.name << " = " << *t << "\n";
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              for (const auto& v : *t) out << o.name << " = " << v << "\n";
            } else if constexpr (std::is_same_v<T, bool>) {
              out << o.name << " = " << (*t ? "true" : "false") << "\n";
            } else if constexpr (std::is_same_v<T, double>) {
              out << o.name << " = " << format_number(*t) << "\n";
            } else {
              out << o.name << " = " << *t << "\n";
            }
          },
          o.target);
    }
    return out.str();
  }

 private:
  OptionSet& push(Option o) {
    o.group = groups_.size() - 1;
    options_.push_back(std::move(o));
    return *this;
  }
  template <class T>
  static void add_to(po::options_description& d, const Option& o, T* t) {
    if constexpr (std::is_same_v<T, bool>) {
      if (o.kind == Kind::toggle) {
        d.add_options()(o.name.c_str(), po::bool_switch(t), o.help.c_str());
        return;
      }
      auto* v = po::value(t)->default_value(*t, *t ? "true" : "false");
      if (o.kind == Kind::flag) v->implicit_value(true, "true");
      d.add_options()(o.name.c_str(), v, o.help.c_str());
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      d.add_options()(o.name.c_str(), po::value(t)->composing(), o.help.c_str());
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (o.kind == Kind::alias || t->empty()) d.add_options()(o.name.c_str(), po::value(t), o.help.c_str());
      else d.add_options()(o.name.c_str(), po::value(t)->default_value(*t), o.help.c_str());
    } else if constexpr (std::is_same_v<T, double>) {
      d.add_options()(o.name.c_str(), po::value(t)->default_value(*t, format_number(*t)), o.help.c_str());
    } else {
      if (o.kind == Kind::alias) d.add_options()(o.name.c_str(), po::value(t), o.help.c_str());
      else d.add_options()(o.name.c_str(), po::value(t)->default_value(*t), o.help.c_str());
    }
  }

  std::vector<std::string> groups_;
  std::vector<Option> options_;
  std::vector<std::string> positional_;
};

// --- declared once ----------------------------------------------------------------------------

inline void declare_device(OptionSet& s, std::string* device) { s.add("device", device, "cpu | cuda"); }
inline void check_device(const std::string& device) { one_of("device", device, {"cpu", "cuda"}); }
inline void declare_seed(OptionSet& s, uint64_t* seed, const std::string& help = "seed") { s.add("seed", seed, help); }
inline void declare_out(OptionSet& s, std::string* out, const std::string& help) { s.add("out", out, help); }

// --- parsing ----------------------------------------------------------------------------------

/// "--key=value" for each entry of an INI section (one token each, so that an option with an
/// implicit value reads its value).
inline std::vector<std::string> ini_args(const std::vector<gan::io::IniEntry>& entries) {
  std::vector<std::string> args;
  for (const auto& e : entries) args.push_back("--" + e.key + "=" + e.value);
  return args;
}

/// The options of a command line, validated; nullopt after printing --help. `--config FILE`
/// (an INI file of the same options, no section) is read under the command line: a flag given
/// on both wins from the command line. Throws po::error for an unknown name or a malformed
/// value and std::invalid_argument (from validate) for a value out of its range.
template <class Options>
std::optional<Options> parse(const std::vector<std::string>& args, bool print_help = true) {
  Options o;
  OptionSet set(Options::caption());
  o.describe(set);
  std::string config;
  const bool with_config = !set.find("config");
  if (with_config) set.alias("config", &config, "INI file with these options (key = value); command-line flags override it");
  const auto desc = set.boost();
  po::positional_options_description pos;
  for (const auto& p : set.positionals()) pos.add(p.c_str(), 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    if (print_help) std::cout << desc;
    return std::nullopt;
  }
  if (with_config && vm.count("config")) {
    const auto file = vm["config"].as<std::string>();
    gan::io::Ini ini;
    try {
      ini = gan::io::read_ini(file);
    } catch (const gan::Error& e) {
      throw std::invalid_argument(std::string("the config file ") + e.what());
    }
    for (const auto& [section, entries] : ini.sections) {
      if (!section.empty()) throw std::invalid_argument(file + ": [" + section + "]: a config file of one command has no sections");
      for (const auto& e : entries) try {
          po::store(po::command_line_parser(ini_args({e})).options(desc).run(), vm);
        } catch (const po::error& error) {
          throw std::invalid_argument(file + ":" + std::to_string(e.line) + ": " + error.what());
        }
    }
  }
  po::notify(vm);
  o.validate();
  return o;
}

/// A subcommand's options as the INI that `--config` reads back, under the comment `title`.
template <class Options>
std::string ini_of(const Options& o, const std::string& title = "the options of this run") {
  auto copy = o;
  OptionSet s(Options::caption());
  copy.describe(s);
  return s.ini(title);
}

/// parse, then run.
template <class Options>
int run_command(const std::vector<std::string>& args) {
  const auto o = parse<Options>(args);
  return o ? run(*o) : 0;
}

}  // namespace aerogan

#pragma once
// The subcommands of aerogan, each in its own translation unit: argv (after the command's
// name) in, exit status out.
#include <string>
#include <vector>

namespace aerogan {
int run_synth(const std::vector<std::string>& args);
int run_split(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_generate(const std::vector<std::string>& args);
int run_classify(const std::vector<std::string>& args);
int run_cluster(const std::vector<std::string>& args);
int run_fid(const std::vector<std::string>& args);
int run_evaluate(const std::vector<std::string>& args);
int run_pipeline(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
}  // namespace aerogan

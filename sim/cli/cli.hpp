// The peebot command line: each subcommand lives in its own cmd_*.cpp file and
// registers itself with PEEBOT_COMMAND. Exit status everywhere: 0 success,
// 2 bad usage or bad input, 1 runtime failure.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace peebot::cli {

namespace po = boost::program_options;

// Bad usage (unknown option, missing argument): exit 2 with a pointer to --help.
struct UsageError : std::runtime_error {
  UsageError(const std::string& cmd, const std::string& msg) : std::runtime_error(msg), command(cmd) {}
  std::string command;
};

// Bad input (an unreadable or malformed file the user named): exit 2.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string summary;
  CommandFn run;
  bool internal = false;  // a child-process command of another one: not listed by `peebot --help`
};

std::map<std::string, Command>& registry();

struct Registrar {
  Registrar(const char* name, const char* summary, CommandFn fn, bool internal = false) {
    registry()[name] = Command{summary, fn, internal};
  }
};

// Parses a subcommand's arguments; errors become UsageError(cmd).
po::variables_map parse_args(const std::string& cmd, const std::vector<std::string>& args,
                             const po::options_description& opts, const po::positional_options_description& pos);

// Checks an output path before any work is done (docs/security.md): not
// empty, not a folder, in a folder that exists, and not the same file as any
// of `inputs` (e.g. `-o` naming the scenario it runs). Throws UsageError(cmd)
// naming `option` and the path.
void check_output_path(const std::string& cmd, const std::string& option, const std::string& path,
                       const std::vector<std::string>& inputs = {});

// True when stderr is a terminal (progress bars and status lines go there only then).
bool stderr_is_tty();

}  // namespace peebot::cli

#define PEEBOT_CONCAT2(a, b) a##b
#define PEEBOT_CONCAT(a, b) PEEBOT_CONCAT2(a, b)
#define PEEBOT_COMMAND(name, summary, fn) \
  static ::peebot::cli::Registrar PEEBOT_CONCAT(peebot_registrar_, __LINE__)(name, summary, fn)
// A command only other commands run (in child processes): hidden from `peebot --help`.
#define PEEBOT_INTERNAL_COMMAND(name, summary, fn) \
  static ::peebot::cli::Registrar PEEBOT_CONCAT(peebot_registrar_, __LINE__)(name, summary, fn, true)

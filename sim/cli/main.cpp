// peebot: the testbed's command line. Subcommands register themselves (cli.hpp).
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "../scenario/scenario.hpp"
#include "../trace/trace.hpp"
#include "../util/text.hpp"
#include "cli.hpp"

namespace peebot::cli {

namespace {
constexpr const char* kVersion = "0.1.0";

void print_main_help() {
  std::cout << "Usage: peebot COMMAND [options]\n\n"
               "PeeBot Testbed: simulate, record and evaluate the ISS Pee-Bot pipeline.\n\nCommands:\n";
  for (const auto& [name, c] : registry())
    if (!c.internal) std::printf("  %-10s %s\n", name.c_str(), c.summary.c_str());
  std::cout << "\nOptions:\n  -h, --help     show this help\n  --version      print the version\n\n"
               "Run 'peebot COMMAND --help' for a command's options.\n"
               "Exit status: 0 success, 2 bad usage or bad input, 1 runtime failure.\n";
}
}  // namespace

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

po::variables_map parse_args(const std::string& cmd, const std::vector<std::string>& args,
                             const po::options_description& opts, const po::positional_options_description& pos) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(cmd, e.what());
  }
  return vm;
}

bool stderr_is_tty() { return isatty(STDERR_FILENO) != 0; }

int main_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_main_help();
    return 2;
  }
  const std::string cmd = args.front();
  if (cmd == "-h" || cmd == "--help" || cmd == "help") { print_main_help(); return 0; }
  if (cmd == "--version") { std::cout << "peebot " << kVersion << "\n"; return 0; }
  const auto it = registry().find(cmd);
  if (it == registry().end()) {
    std::cerr << "peebot: unknown command '" << cmd << "' (run 'peebot --help' for the list)\n";
    return 2;
  }
  args.erase(args.begin());
  try {
    return it->second.run(args);
  } catch (const UsageError& e) {
    std::cerr << "peebot " << e.command << ": " << printable_message(e.what()) << " (run 'peebot " << e.command
              << " --help')\n";
    return 2;
  } catch (const InputError& e) {
    std::cerr << "peebot: " << printable_message(e.what()) << "\n";
    return 2;
  } catch (const ScenarioError& e) {
    std::cerr << "peebot: " << printable_message(e.what()) << "\n";
    return 2;
  } catch (const TraceError& e) {
    std::cerr << "peebot: trace: " << printable_message(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "peebot: error: " << printable_message(e.what()) << "\n";
    return 1;
  }
}

}  // namespace peebot::cli

int main(int argc, char** argv) { return peebot::cli::main_cli(argc, argv); }

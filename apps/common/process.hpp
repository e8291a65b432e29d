// SPDX-License-Identifier: MIT
// Starting other programs (gnuplot) without a shell: the program is found on
// PATH and started with an argument vector by posix_spawn, so no character of
// a file name (quote, ';', '$', newline) is ever interpreted. Also the quoting
// of text placed inside a gnuplot script, the other place where a file name
// could turn into a command.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace deepdot::cli {

/// The full path of `name` on PATH if it is an executable file there, else
/// "" (a name with a '/' is taken as a path). Nothing is run.
inline std::string find_program(const std::string& name) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  const std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (executable(candidate)) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

/// Runs argv[0] (found by find_program()) with arguments argv[1..] exactly
/// as given, in directory `cwd` (if not empty), with stdin from /dev/null and
/// stdout and stderr to /dev/null when `quiet`. Waits for it and returns its
/// exit status; 127 if it cannot be found or started, 128 + N if signal N
/// ended it.
inline int run_program(const std::vector<std::string>& argv, const std::string& cwd = "", bool quiet = true) {
  if (argv.empty()) throw std::logic_error("run_program(): empty argument vector");
  const std::string exe = find_program(argv[0]);
  if (exe.empty()) return 127;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return 127;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 127;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

/// `text` as a single-quoted gnuplot string literal: gnuplot reads '' inside
/// single quotes as one quote and expands nothing else there. A line break
/// would end the command, so text with control characters is refused
/// (std::invalid_argument naming `what`).
inline std::string gnuplot_quote(const std::string& text, const std::string& what) {
  std::string out = "'";
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      throw std::invalid_argument(what + " '" + text + "' contains a control character (a line break?), which a "
                                  "gnuplot script cannot hold");
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

}  // namespace deepdot::cli

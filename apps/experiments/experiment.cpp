// SPDX-License-Identifier: MIT
// `deepdot experiment <name>`: dispatch and the shared plumbing of experiment.hpp.
#include "experiment.hpp"

#include "../common/process.hpp"

#include <deepdot/io/atomic_file.hpp>

#include <deepdot/version.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>

namespace deepdot::experiment {

const char* kCommonHelp =
    "  --out DIR          output folder [results/<name>]\n"
    "  --quick            tiny sizes (seconds), for tests and CI\n"
    "  --seed N           seed of every random choice [1]\n"
    "  --threads N        bound the BLAS threads\n"
    "  --json             print one JSON object on stdout instead of tables\n"
    "  --quiet            no progress bars on stderr\n";

namespace {

// mkdir -p.
void make_dirs(const std::string& path) {
  std::string part;
  std::istringstream in(path);
  std::string item;
  if (!path.empty() && path[0] == '/') part = "/";
  while (std::getline(in, item, '/')) {
    if (item.empty()) continue;
    part += item + "/";
    if (::mkdir(part.c_str(), 0777) != 0 && errno != EEXIST)
      throw std::invalid_argument("--out " + path + ": cannot create folder " + part);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::invalid_argument("--out " + path + ": not a folder");
}

std::string format_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

Common common_options(cli::Args& args, const std::string& name) {
  Common c;
  c.out = args.str("out", "results/" + name);
  if (c.out.empty()) throw std::invalid_argument("--out must name a folder");
  make_dirs(c.out);
  c.quick = args.flag("quick");
  c.seed = args.integer("seed", 1);
  c.json = args.flag("json");
  c.quiet = args.flag("quiet");
  cli::set_threads(args.integer("threads", 0));
  return c;
}

bool start(cli::Args& args, const std::string& name, const char* usage, Common& common) {
  if (args.help()) {
    std::cout << usage << kCommonHelp;
    return false;
  }
  common = common_options(args, name);
  return true;
}

void add_list(cli::Report& report, const std::string& key, const std::vector<std::string>& items,
              const std::string& bullet) {
  std::string json = "[", text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    json += (i ? "," : "") + cli::Report::quote(items[i]);
    text += bullet + items[i] + "\n";
  }
  report.raw(key, json + "]", text);
}

void Table::add(std::vector<Cell> row) {
  if (row.size() != columns.size())
    throw std::logic_error("Table::add: " + std::to_string(row.size()) + " cells for " +
                           std::to_string(columns.size()) + " columns");
  rows.push_back(std::move(row));
}

std::size_t Table::column(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw std::logic_error("Table: no column " + name);
}

double Table::number(std::size_t row, const std::string& name) const { return rows.at(row).at(column(name)).value; }

const std::string& Table::text(std::size_t row, const std::string& name) const {
  return rows.at(row).at(column(name)).text;
}

void Table::write_csv(const std::string& path) const {
  std::ostringstream out;
  for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << "\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << (i ? "," : "");
      const Cell& c = row[i];
      if (c.is_text) {
        // Quote only when needed (RFC 4180), so plain names stay greppable.
        if (c.text.find_first_of(",\"\n") == std::string::npos) {
          out << c.text;
        } else {
          out << '"';
          for (char ch : c.text) out << (ch == '"' ? "\"\"" : std::string(1, ch));
          out << '"';
        }
      } else if (std::isfinite(c.value)) {
        out << format_number(c.value);
      }
    }
    out << "\n";
  }
  write_file(path, out.str());
}

namespace {

// One CSV record from `in` (quoted fields may hold commas, quotes and newlines); false at the end.
bool read_record(std::istream& in, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false, any = false;
  for (int ch; (ch = in.get()) != EOF;) {
    any = true;
    if (quoted) {
      if (ch == '"') {
        if (in.peek() == '"') field += static_cast<char>(in.get());
        else quoted = false;
      } else {
        field += static_cast<char>(ch);
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      fields.push_back(field);
      field.clear();
    } else if (ch == '\n') {
      break;
    } else if (ch != '\r') {
      field += static_cast<char>(ch);
    }
  }
  if (!any) return false;
  fields.push_back(field);
  return true;
}

}  // namespace

Table Table::read_csv(const std::string& path, const std::vector<std::string>& required) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("--from-csv " + path + ": cannot open the file");
  Table t;
  if (!read_record(in, t.columns)) throw std::invalid_argument("--from-csv " + path + ": the file is empty");
  for (const auto& r : required)
    if (std::find(t.columns.begin(), t.columns.end(), r) == t.columns.end())
      throw std::invalid_argument("--from-csv " + path + ": no column '" + r + "' (not a CSV of this experiment?)");
  std::vector<std::string> fields;
  for (std::size_t line = 2; read_record(in, fields); ++line) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() != t.columns.size())
      throw std::invalid_argument("--from-csv " + path + ": line " + std::to_string(line) + " has " +
                                  std::to_string(fields.size()) + " fields, the header " + std::to_string(t.columns.size()));
    std::vector<Cell> row;
    for (const auto& f : fields) {
      char* end = nullptr;
      const double v = std::strtod(f.c_str(), &end);
      if (f.empty()) row.emplace_back(std::numeric_limits<double>::quiet_NaN());
      else if (*end == '\0') row.emplace_back(v);
      else row.emplace_back(f);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string Table::json() const {
  std::ostringstream out;
  out << "[";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out << (r ? "," : "") << "{";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const Cell& c = rows[r][i];
      out << (i ? "," : "") << cli::Report::quote(columns[i]) << ":"
          << (c.is_text ? cli::Report::quote(c.text) : std::isfinite(c.value) ? format_number(c.value) : "null");
    }
    out << "}";
  }
  out << "]";
  return out.str();
}

void write_file(const std::string& path, const std::string& text) {
  deepdot::write_file_atomically(path, text, "deepdot experiment");
}

std::string svg_preamble(const std::string& name, int width, int height) {
  return "set terminal svg size " + std::to_string(width) + "," + std::to_string(height) +
         " dynamic font 'sans,12'\nset output '" + name + ".svg'\nset datafile separator ','\n";
}

std::string plot(const std::string& dir, const std::string& name, const std::string& script) {
  write_file(dir + "/" + name + ".gp", script);
  if (cli::find_program("gnuplot").empty())
    return "gnuplot is not installed (apt-get install gnuplot-nox); draw it with: cd " + dir + " && gnuplot " + name + ".gp";
  // Run inside the folder (the script names its CSV and SVG without a path),
  // without a shell; gnuplot draws into a fresh temporary file that replaces
  // name.svg when it succeeds (never writing through a planted symlink).
  deepdot::AtomicFile image(dir + "/" + name + ".svg", "deepdot experiment");
  const std::string tmp_name = image.temp_path().substr(image.temp_path().rfind('/') + 1);
  std::string run = script;
  const std::string set_output = "set output '" + name + ".svg'";
  const auto at = run.find(set_output);
  if (at != std::string::npos) run.replace(at, set_output.size(), "set output " + cli::gnuplot_quote(tmp_name, "the plot"));
  // The script that draws into the temporary file is itself a temporary file
  // (never committed: its destructor removes it).
  deepdot::AtomicFile runner(dir + "/" + name + ".gp", "deepdot experiment");
  runner.write(run.data(), run.size());
  const std::string runner_name = runner.temp_path().substr(runner.temp_path().rfind('/') + 1);
  if (cli::run_program({"gnuplot", runner_name}, dir) != 0)
    return "gnuplot failed; run: cd " + dir + " && gnuplot " + name + ".gp";
  image.commit();
  return name + ".svg";
}

std::string machine_description() {
  std::string model = "unknown CPU";
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(colon + 2);
      break;
    }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads, OpenBLAS, deepdot " +
         version;
}

std::string command_line(int argc, char** argv) {
  std::string s = "deepdot experiment";
  for (int i = 0; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

void finish(const Common& common, const std::string& name, const cli::Report& report) {
  std::ostringstream json;
  report.print(true, json);
  write_file(common.out + "/" + name + ".json", json.str());
  report.print(common.json);
}

}  // namespace deepdot::experiment

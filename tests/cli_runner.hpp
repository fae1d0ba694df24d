#pragma once
// Runs the real tokencast binary and captures its exit code, standard output and error.
#include <fcntl.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tokencast::test {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `args` is appended to the binary's path as is (quote paths with shell_quote).
inline CliResult run_cli(const std::string& args) {
  namespace fs = std::filesystem;
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("tokencast-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / ("out" + std::to_string(counter) + ".txt");
  const fs::path err = dir / ("err" + std::to_string(counter++) + ".txt");
  const std::string command = shell_quote(TOKENCAST_BINARY) + " " + args + " >" + shell_quote(out.string()) + " 2>" +
                              shell_quote(err.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

// A fresh directory for one test's inputs and outputs, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("tokencast-hardening-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& contents) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << contents;
    return file;
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

// Starts the binary with `args`, standard output and error going to files, and no input.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::filesystem::path& out, const std::filesystem::path& err) {
  std::vector<std::string> storage{TOKENCAST_BINARY};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string out_path = out.string(), err_path = err.string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    const int in_fd = ::open("/dev/null", O_RDONLY);
    const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// A run of the binary sent `signal_number` after `delay` (and again at once when `twice`).
struct SignalledRun {
  int status = -1;
  double seconds_to_exit = -1;  // from the (first) signal to the process's exit
  bool exited_before_signal = false;
};

inline SignalledRun signal_cli(const std::vector<std::string>& args, const std::filesystem::path& out,
                               const std::filesystem::path& err, std::chrono::milliseconds delay, int signal_number,
                               bool twice = false) {
  using Clock = std::chrono::steady_clock;
  SignalledRun result;
  const pid_t pid = spawn_cli(args, out, err);
  if (pid <= 0) return result;
  std::this_thread::sleep_for(delay);
  if (::waitpid(pid, &result.status, WNOHANG) == pid) {
    result.exited_before_signal = true;
    return result;
  }
  ::kill(pid, signal_number);
  if (twice) ::kill(pid, signal_number);
  const auto sent = Clock::now();
  for (;;) {
    if (::waitpid(pid, &result.status, WNOHANG) == pid) break;
    if (Clock::now() - sent > std::chrono::seconds(60)) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &result.status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.seconds_to_exit = std::chrono::duration<double>(Clock::now() - sent).count();
  return result;
}

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path(TOKENCAST_SOURCE_DIR) / relative;
}

}  // namespace tokencast::test

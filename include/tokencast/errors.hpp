#pragma once
// Typed errors thrown by the library. Only the command line prints them and picks an exit code.
#include <atomic>
#include <stdexcept>
#include <string>

namespace tokencast {

// Where in an input file something is: 1-based line and column, 0 when unknown.
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;
};

// Bad input: a scenario, catalog or command-line value that cannot be used (exit code 2).
// what() is "FILE:LINE:COL: error: KEY.PATH: MESSAGE".
class InputError : public std::runtime_error {
 public:
  InputError(SourcePosition where, std::string key_path, std::string message);

  const SourcePosition& where() const noexcept { return where_; }
  const std::string& key_path() const noexcept { return key_path_; }
  const std::string& message() const noexcept { return message_; }

 private:
  SourcePosition where_;
  std::string key_path_;
  std::string message_;
};

// A run refused before it starts because it would not fit (memory, time): also exit code 2.
// what() is "FILE: error: MESSAGE", FILE the scenario's.
class ResourceLimitError : public std::runtime_error {
 public:
  ResourceLimitError(const std::string& file, const std::string& message);
};

// A command-line value that cannot be used (exit code 2). what() is "OPTION: MESSAGE".
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writing an output failed: a full disk, a closed pipe (exit code 1). Nothing half-written stays.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run was interrupted (SIGINT, SIGTERM, SIGHUP): exit code 128 + the signal, nothing written.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// Throws Interrupted once a cancel flag is set: polled between the steps of anything long.
inline void poll_cancel(const std::atomic<bool>* cancel) {
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) throw Interrupted();
}

}  // namespace tokencast

// MPI ranks as a pool of workers over a job's units (mpi_ranks.hpp). Only the main thread of each
// rank calls MPI (MPI_THREAD_FUNNELED): rank 0's own units are computed on a second thread.
#include "mpi_ranks.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tokencast/errors.hpp"
#include "tokencast/output.hpp"

#ifdef TOKENCAST_HAVE_MPI
#include <mpi.h>
#endif

namespace tokencast {
namespace {

Ranks current;

int launched_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
  }
  return 1;
}

}  // namespace

const Ranks& ranks() { return current; }

#ifndef TOKENCAST_HAVE_MPI

Ranks start_ranks(int&, char**&) {
  // Started as one of several ranks: each would run the whole command and write the same output.
  if (launched_size() > 1) {
    std::cerr << "tokencast: error: this tokencast was built without MPI (TOKENCAST_MPI=OFF); under mpirun every rank "
                 "would run the whole command. Run it as one process, or with --shard I/N\n";
    std::exit(2);
  }
  return current;
}
void abort_ranks(int) {}
void stop_ranks() {}
bool compute_on_ranks(WorkUnits& units, const std::string&, const std::atomic<bool>*, std::atomic<std::int64_t>* done) {
  compute_all(units, done);
  return true;
}

#else

namespace {

bool started = false;

// A test hook (tests/cluster/): the rank named by TOKENCAST_FAIL_RANK (digits) throws on its first unit.
void maybe_fail_for_test(int rank) {
  const char* named = std::getenv("TOKENCAST_FAIL_RANK");
  if (named == nullptr || *named == '\0' || std::string(named).find_first_not_of("0123456789") != std::string::npos) return;
  if (std::atoi(named) == rank) throw std::runtime_error(fmt::format("failure injected by TOKENCAST_FAIL_RANK={}", rank));
}

enum Tag : int { ready = 1, result = 2, failed = 3, assign = 4 };
constexpr std::string_view interrupted_text = "interrupted";

void send_bytes(const std::string& bytes, int tag) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::runtime_error("its result is over 2 GiB, more than one MPI message carries (a sensitivity's base run "
                             "holds 8 bytes per trial for the output and each input: use fewer trials, or --shard "
                             "I/N and merge)");
  }
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, tag, MPI_COMM_WORLD);
}

void send_assignment(int to, std::int64_t unit) { MPI_Send(&unit, 1, MPI_INT64_T, to, assign, MPI_COMM_WORLD); }

[[noreturn]] void abort_job(int rank, std::int64_t unit, const std::string& message) {
  // Ctrl-C reaches every rank through mpirun: an interrupt, not a failure.
  const bool interrupted = message == interrupted_text;
  if (interrupted) {
    std::cerr << "tokencast: interrupted; nothing was written\n" << std::flush;
  } else {
    const std::string on = unit >= 0 ? fmt::format(" on unit {}", unit) : std::string();
    std::cerr << terminal_safe(fmt::format("tokencast: error: rank {} failed{}: {}; the job stops and writes nothing", rank,
                                           on, message))
              << "\n" << std::flush;
  }
  MPI_Abort(MPI_COMM_WORLD, interrupted ? 130 : 1);
  std::_Exit(1);
}

// Rank 0's own worker thread failed on `unit`.
[[noreturn]] void abort_on_local_failure(const std::exception_ptr& failure, std::int64_t unit) {
  try {
    std::rethrow_exception(failure);
  } catch (const Interrupted&) {
    abort_job(0, unit, std::string(interrupted_text));
  } catch (const std::exception& e) {
    abort_job(0, unit, e.what());
  } catch (...) {
    abort_job(0, unit, "an unknown failure");
  }
}

bool worker(WorkUnits& units, const std::string& job) {
  // The job as this rank made it: rank 0 checks that every rank runs the same one.
  send_bytes(job, ready);
  for (;;) {
    std::int64_t unit = -1;
    MPI_Recv(&unit, 1, MPI_INT64_T, 0, assign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (unit < 0) return false;
    std::string reply(sizeof unit, '\0');
    std::memcpy(reply.data(), &unit, sizeof unit);
    std::string failure;
    try {
      maybe_fail_for_test(current.rank);
      reply += units.compute(unit);
      send_bytes(reply, result);
      continue;
    } catch (const Interrupted&) {
      failure = interrupted_text;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    reply.resize(sizeof unit);
    send_bytes(reply + failure, failed);
    // Rank 0 aborts the job on a failure: nothing more to do here.
    MPI_Recv(&unit, 1, MPI_INT64_T, 0, assign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return false;
  }
}

bool coordinator(WorkUnits& units, const std::string& job, const std::atomic<bool>* cancel,
                 std::atomic<std::int64_t>* done) {
  const std::int64_t count = units.count();
  // Costliest first (longest processing time first), ties in unit order.
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return units.cost(a) > units.cost(b); });
  std::atomic<std::size_t> next{0};
  const auto take = [&]() -> std::int64_t {
    const std::size_t k = next.fetch_add(1);
    return k < order.size() ? order[k] : -1;
  };
  std::vector<std::optional<std::string>> results(static_cast<std::size_t>(count));
  std::mutex results_mutex;
  std::exception_ptr local_failure;
  std::int64_t local_unit = -1;
  std::atomic<bool> local_done{false};
  std::thread local([&] {
    try {
      for (std::int64_t unit; (unit = take()) >= 0;) {
        local_unit = unit;
        maybe_fail_for_test(0);
        std::string bytes = units.compute(unit);
        const std::lock_guard lock(results_mutex);
        results[static_cast<std::size_t>(unit)] = std::move(bytes);
        if (done) done->fetch_add(1, std::memory_order_relaxed);
      }
    } catch (...) {
      local_failure = std::current_exception();
    }
    local_done.store(true);
  });
  // Units are added in order as soon as they can be, and let go: rank 0 holds no more than the
  // results that arrive ahead of an earlier one.
  std::int64_t next_add = 0;
  const auto add_ready = [&] {
    for (;;) {
      std::string bytes;
      {
        const std::lock_guard lock(results_mutex);
        if (next_add >= count || !results[static_cast<std::size_t>(next_add)]) return;
        bytes = std::move(*results[static_cast<std::size_t>(next_add)]);
        results[static_cast<std::size_t>(next_add)].reset();
      }
      units.add(next_add++, bytes);
    }
  };
  int active = current.size - 1;
  std::string buffer;
  // By rank: the unit it was handed (-1 before its first), so that a result is only taken for it.
  std::vector<std::int64_t> assigned(static_cast<std::size_t>(current.size), -1);
  // Whatever goes wrong on this thread from here ends the job with a message (an exception
  // escaping with `local` still running would end the process with none). abort_job does not
  // return, so `local` is never destroyed while it runs.
  try {
  while (active > 0 || !local_done.load()) {
    if (cancel != nullptr && cancel->load()) {
      // The other ranks stop once the interrupt reaches them too; this one says so for the job.
      abort_job(0, -1, std::string(interrupted_text));
    }
    if (local_done.load() && local_failure) {
      local.join();
      abort_on_local_failure(local_failure, local_unit);
    }
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (!flag) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    int size = 0;
    MPI_Get_count(&status, MPI_BYTE, &size);
    buffer.resize(static_cast<std::size_t>(size));
    MPI_Recv(buffer.data(), size, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    const int source = status.MPI_SOURCE;
    if (status.MPI_TAG == ready) {
      if (buffer != job) {
          abort_job(source, -1, "it runs another job than rank 0 (its scenario, arguments or tokencast differ): every "
                              "rank must read the same files with the same build");
      }
    } else {
      std::int64_t unit = -1;
      if (buffer.size() >= sizeof unit) std::memcpy(&unit, buffer.data(), sizeof unit);
      if (unit != assigned[static_cast<std::size_t>(source)]) {
          abort_job(source, unit, "a reply for a unit it was not handed");
      }
      if (status.MPI_TAG == failed) {
          abort_job(source, unit, buffer.substr(sizeof unit));
      }
      const std::lock_guard lock(results_mutex);
      results[static_cast<std::size_t>(unit)] = buffer.substr(sizeof unit);
      if (done) done->fetch_add(1, std::memory_order_relaxed);
    }
    const std::int64_t next_unit = take();
    assigned[static_cast<std::size_t>(source)] = next_unit;
    send_assignment(source, next_unit);
    if (next_unit < 0) --active;
    add_ready();
  }
  } catch (const std::exception& e) {
    abort_job(0, next_add, fmt::format("adding a unit's result: {}", e.what()));
  }
  local.join();
  if (local_failure) abort_on_local_failure(local_failure, local_unit);
  add_ready();
  return true;
}

}  // namespace

Ranks start_ranks(int& argc, char**& argv) {
  if (launched_size() <= 1) return current;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  started = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &current.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &current.size);
  // Each process alone in its world (a launcher this MPI does not know) would run the whole command.
  if (current.size != launched_size() || provided < MPI_THREAD_FUNNELED) {
    std::cerr << fmt::format("tokencast: error: started as one of {} ranks, but MPI gives {} (thread level {}): launch "
                             "with the mpirun of the Open MPI tokencast was built with\n",
                             launched_size(), current.size, provided);
    MPI_Abort(MPI_COMM_WORLD, 2);
    std::_Exit(2);
  }
  return current;
}

void stop_ranks() {
  if (started) MPI_Finalize();
  started = false;
}

void abort_ranks(int code) {
  if (!started) return;
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

bool compute_on_ranks(WorkUnits& units, const std::string& job, const std::atomic<bool>* cancel,
                      std::atomic<std::int64_t>* done) {
  if (current.size <= 1) {
    compute_all(units, done);
    return true;
  }
  return current.rank == 0 ? coordinator(units, job, cancel, done) : worker(units, job);
}

#endif

}  // namespace tokencast

#pragma once
// The ranks of an MPI job (`mpirun -n P tokencast run|breakeven|sensitivity|sweep ...`): units
// handed out one at a time, costliest first, to whichever rank is free (docs/cluster.md).
#include <atomic>
#include <cstdint>
#include <string>

#include "tokencast/work_units.hpp"

namespace tokencast {

struct Ranks {
  int rank = 0, size = 1;
};

// Starts MPI when this build has it and the process was started by mpirun (or srun) as one of
// several ranks; otherwise a single rank, MPI untouched. A build without MPI started as one of
// several ranks exits 2 with a message (each rank would run the whole command).
Ranks start_ranks(int& argc, char**& argv);
// MPI_Finalize, when start_ranks started MPI.
void stop_ranks();
// Ends every rank with exit code `code` (MPI_Abort), when start_ranks started MPI; else nothing.
void abort_ranks(int code);
const Ranks& ranks();

// Computes every unit across the ranks. Rank 0 hands out units, costliest first, as ranks ask
// (its own worker thread among them), adds the results in unit order as they arrive, and returns
// true; the other ranks return false once there is nothing left. `job` identifies the job (a
// rank whose differs from rank 0's ends it). A unit that throws on any rank ends the job: rank 0
// prints which rank failed and why, and aborts every rank (exit 1), nothing written; an interrupt
// (`cancel`) ends it with "interrupted". `done` counts units finished (rank 0).
bool compute_on_ranks(WorkUnits& units, const std::string& job, const std::atomic<bool>* cancel,
                      std::atomic<std::int64_t>* done);

}  // namespace tokencast

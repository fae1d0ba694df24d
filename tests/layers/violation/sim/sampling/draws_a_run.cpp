// A fixture for the layer check's test: sampling (layer 1) including the engine (layer 5) and the
// JSON output (tokencast::io) must be refused.
#include "../engine/run_plan.hpp"
#include "tokencast/output.hpp"

// The report's targets (inside sim/report): the three every run has, then the
// ones the architecture's seed states (sim/pipeline/architecture.hpp), each
// with its verdict for one run, its raw material for pooling and, for an
// architecture's, its source and evidence.
#pragma once
#include <cstddef>
#include <vector>

#include "report.hpp"

namespace peebot {

// Appends the targets to r.targets (r's stages, posts and detection latency
// already computed); void_of_det: the void each detection matched (-1: none).
void add_targets(Report& r, const Trace& trace, const ReportParams& params, const std::vector<std::ptrdiff_t>& void_of_det);

}  // namespace peebot

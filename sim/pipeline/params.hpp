// Parameters of the pipeline stages (scenario section [pipeline.*]); keys,
// units and defaults are documented in docs/scenarios.md.
#pragma once
#include <string>

namespace peebot {

struct IngestParams {
  double service_per_frame_s = 50e-6;   // pipeline.ingest.service_per_frame
  double service_per_update_s = 1e-6;   // pipeline.ingest.service_per_update
};

struct DetectorParams {
  std::string kind = "step";            // pipeline.detector.kind: "step" | "rule"
  double service_per_sample_s = 20e-6;  // pipeline.detector.service_per_sample
  // step detector
  double window_s = 90;                 // pipeline.detector.window: look-back for the baseline level
  double min_rise_pct = 2;              // pipeline.detector.min_rise_pct: rise over baseline that confirms a use
  double quiet_s = 30;                  // pipeline.detector.quiet: no new high for this long ends (and emits) the event
  double confirm_s = 20;                // pipeline.detector.confirm: emit this long after the trigger if urination-like (0: wait for quiet)
  double bulk_rate_pct_per_min = 12;    // pipeline.detector.bulk_rate_pct_per_min: faster rises wait for their end
  double bulk_hold_s = 600;             // pipeline.detector.bulk_hold: events starting this soon after a bulk transfer are its tail
  double bulk_rise_pct = 15;            // pipeline.detector.bulk_rise_pct: larger events are bulk transfers
  double tank_capacity_ml = 8200;       // taken from tank.capacity_ml, to convert % to mL
  // rule detector (isspiss)
  double rule_guard_s = 60;             // pipeline.detector.rule_guard: ignore rises this long after a decrease
  double rule_end_s = 20;               // pipeline.detector.rule_end: no rise for this long ends an event
};

struct StoreParams {
  int batch_size = 256;                 // pipeline.store.batch_size, records per commit
  double flush_interval_s = 1.0;        // pipeline.store.flush_interval, commit at least this often
  double service_per_batch_s = 2e-3;    // pipeline.store.service_per_batch
  double service_per_record_s = 5e-6;   // pipeline.store.service_per_record
};

struct TweetParams {
  double cooldown_s = 300;              // pipeline.tweet.cooldown
  std::string cooldown_policy = "delay";// pipeline.tweet.cooldown_policy: "delay" | "drop"
  int max_retries = 3;                  // pipeline.tweet.max_retries
  double backoff_s = 2.0;               // pipeline.tweet.backoff, first retry delay (doubles each time)
  double backoff_max_s = 60.0;          // pipeline.tweet.backoff_max
  double api_latency_s = 0.4;           // pipeline.tweet.api_latency, mean (exponential)
  double failure_probability = 0.02;    // pipeline.tweet.failure_probability, per attempt
  double compose_s = 0.01;              // pipeline.tweet.compose, time to compose the text
};

struct PipelineParams {
  IngestParams ingest;
  DetectorParams detector;
  StoreParams store;
  TweetParams tweet;
};

}  // namespace peebot

// Parameters of the pipeline stages (scenario section [pipeline.*]); keys,
// units and defaults are documented in docs/scenarios.md.
#pragma once
#include <string>
#include <vector>

#include "../../models/records.hpp"

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
  double hole_s = 60;                   // pipeline.detector.hole: silence of every ISS item this long (or LOS) is a hole in the level data
  double drain_pct_per_min = 0.2;       // pipeline.detector.drain_pct_per_min: expected fall of the level across a hole while the UPA processes (0: none)
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

// pipeline.architecture = "wet" (seed 000, W.E.T. System): the feed is
// published over ZeroMQ PUB/SUB to LiveTrack, which POSTs every event over HTTP
// to WaterLog (Flask + SQLite, one writer) and waits for the answer; ViewPort
// polls WaterLog's REST API. Defaults are assumptions (seed 000 states no
// figures) except the ZeroMQ high-water mark, ZeroMQ's own default.
struct WetParams {
  double publish_per_message_s = 20e-6;    // pipeline.wet.publish_per_message: PUB send per message
  int hwm = 1000;                          // pipeline.wet.hwm: messages queued for the subscriber before PUB drops
  double livetrack_per_event_s = 100e-6;   // pipeline.wet.livetrack_per_event: LiveTrack's own work per event
  double http_rtt_s = 1e-3;                // pipeline.wet.http_rtt: POST round trip LiveTrack <-> WaterLog
  double waterlog_per_request_s = 1.5e-3;  // pipeline.wet.waterlog_per_request: Flask request handling
  double sqlite_commit_s = 2e-3;           // pipeline.wet.sqlite_commit: INSERT + COMMIT (journal sync), one writer
  double viewport_poll_s = 1.0;            // pipeline.wet.viewport_poll: ViewPort GUI polls GET /events this often
  double viewport_query_s = 5e-3;          // pipeline.wet.viewport_query: WaterLog answers the poll
  double manual_every_s = 60;              // pipeline.wet.manual_every: button presses inside a manual window
  std::vector<LosWindow> manual_flushes;   // pipeline.wet.manual_flushes: windows of manual flush presses
  std::vector<LosWindow> manual_refills;   // pipeline.wet.manual_refills: windows of manual refill presses
};

// pipeline.architecture = "streaming" (seed 001): ingestion (validate, enrich,
// dedupe, order) -> Kafka producer (batching) -> broker (topic with
// partitions, key = item) -> consumer group "peebot" (detection, cooldown,
// retries, replay) and consumer group "storage" (batched writes).
struct StreamingParams {
  int partitions = 6;                      // pipeline.streaming.partitions
  int batch_records = 500;                 // pipeline.streaming.batch_records: producer batch.size in records
  double linger_s = 5e-3;                  // pipeline.streaming.linger: producer linger.ms
  double broker_per_batch_s = 0.5e-3;      // pipeline.streaming.broker_per_batch: append + fsync per batch
  double broker_per_record_s = 2e-6;       // pipeline.streaming.broker_per_record
  double acks_latency_s = 1e-3;            // pipeline.streaming.acks_latency: acks=all round trip after the append
  int consumers = 1;                       // pipeline.streaming.consumers: Pee-Bot consumers (partitions shared out)
  int max_poll_records = 500;              // pipeline.streaming.max_poll_records
  double consumer_per_poll_s = 0.2e-3;     // pipeline.streaming.consumer_per_poll
  double consumer_per_record_s = 10e-6;    // pipeline.streaming.consumer_per_record: deserialise + filter
  double commit_interval_s = 5;            // pipeline.streaming.commit_interval: auto.commit.interval.ms
  double decision_commit_s = 0.05;         // pipeline.streaming.decision_commit: posted -> last decision durable
  double replay_lookback_s = 600;          // pipeline.streaming.replay_lookback: detector rebuilt from this much history on a restart
  int storage_batch = 1000;                // pipeline.streaming.storage_batch: event-storage rows per write
  double storage_flush_s = 1.0;            // pipeline.streaming.storage_flush: write at least this often
  double storage_per_batch_s = 5e-3;       // pipeline.streaming.storage_per_batch
  double storage_per_record_s = 10e-6;     // pipeline.streaming.storage_per_record
  double delivery_timeout_s = 120;         // pipeline.streaming.delivery_timeout: producer gives a record up (broker down)
};

// pipeline.architecture = "polling" (seed 002): ingestion (validate, enrich)
// -> TimescaleDB batch inserts -> WebSocket push to dashboards; Celery beat
// runs the PeeBot task every period over the rows since last_processed_at.
struct PollingParams {
  double ingest_per_update_s = 50e-6;      // pipeline.polling.ingest_per_update: DRF validation + enrichment
  int batch_rows = 500;                    // pipeline.polling.batch_rows: rows per INSERT
  double flush_interval_s = 1.0;           // pipeline.polling.flush_interval: insert at least this often
  double insert_per_batch_s = 5e-3;        // pipeline.polling.insert_per_batch
  double insert_per_row_s = 20e-6;         // pipeline.polling.insert_per_row
  double ws_push_s = 20e-3;                // pipeline.polling.ws_push: channel layer (Redis) + WebSocket send after a commit
  double period_s = 30;                    // pipeline.polling.period: Celery beat (seed: every 30-60 s)
  double query_base_s = 20e-3;             // pipeline.polling.query_base: task start + window query
  double query_per_row_s = 5e-6;           // pipeline.polling.query_per_row
  std::string watermark = "last_row";      // pipeline.polling.watermark: last_processed_at := "last_row" timestamp | "now"
  double db_retry_s = 5;                   // pipeline.polling.db_retry: a failed insert is retried this often
};

struct PipelineParams {
  std::string architecture = "direct";  // pipeline.architecture: "direct" | "wet" | "streaming" | "polling"
  IngestParams ingest;
  DetectorParams detector;
  StoreParams store;
  TweetParams tweet;
  WetParams wet;
  StreamingParams streaming;
  PollingParams polling;
};

}  // namespace peebot

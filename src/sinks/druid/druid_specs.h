// The Druid ingestion specs for the gateway's streams: one table of columns per stream
// (contract section 3) drives both the batch tasks the Druid sink posts and the Kafka
// supervisors `iot-gateway druid provision` posts, so both land the same columns.
//
// __time comes from window_end (windows), sale_ts (sales, epoch ms) or eventTimestamp (events);
// the devices stream has no time and gets a fixed one. "lat,lon" locations are also split into
// double columns latitude and longitude with regexp transforms, as the seed's specs did.
#pragma once

#include <string>

#include "config/options.h"
#include "core/stream.h"

namespace gw {

// A complete `index_parallel` task with the records as inline JSON lines; always
// appendToExisting: true (false would replace the data of the days the batch covers).
std::string druid_index_task(const DruidSinkOptions& druid, Stream stream,
                             const std::string& task_id, const std::string& inline_data);

// The Kafka supervisor spec for a stream (POST /druid/indexer/v1/supervisor). Avro streams
// read the Confluent wire format through the schema registry decoder.
std::string druid_supervisor_spec(const Options& options, Stream stream);

// The streams that get a Kafka supervisor: those the Kafka sink sends that the Druid sink does
// not push as batch tasks (the same datasource fed twice would count every row twice).
StreamSet druid_supervisor_streams(const Options& options);

}  // namespace gw

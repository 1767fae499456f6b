package org.fusekicdc.core.sink.internal;

import org.fusekicdc.core.sink.Sink;

/** What a sink runner's ways of delivering share: the sink, its feed, where it stands, and what becomes of each delivery. */
record RunnerParts(String dataset, Sink sink, SinkFeed feed, RunnerControl control, DeliveredPosition position, DeliveryOutcomes outcomes) {}

package org.fusekicdc.streams.query;

import java.util.Optional;
import java.util.Set;

import org.apache.kafka.streams.processor.StreamPartitioner;

/** The keyed topic's partitioner: a subject's events by their key's hash, a step marker to the partition it names. */
public final class KeyPartitioner implements StreamPartitioner<String, byte[]> {
    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
        if ( KeyedRecords.isMarker(value) )
            return Optional.of(Set.of(KeyedRecords.marker(value).partition()));
        return Optional.of(Set.of(KeyedRecords.partition(key, numPartitions)));
    }
}

package org.fusekicdc.sink.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchReassembler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one dataset's patches back from a topic written by {@link KafkaSink}: whole patches,
 * parts put back together, in version order, each version once (duplicates and interrupted
 * first parts are dropped).
 * <p>
 * A plain {@link KafkaConsumer} without a consumer group: the reader assigns itself the
 * dataset's partition and reads it from the first record after {@code afterVersion} (found by
 * bisection over the partition's offsets), skipping anything up to that version. It reads committed records only ({@code isolation.level=read_committed})
 * unless the given consumer properties say otherwise. Patches assembled from parts live in
 * temporary files: close each patch when done with it. Not thread-safe.
 * <p>
 * What the reader does not check, its user should: that each patch's {@code cdc-prev} is the
 * previous patch's {@code cdc-id} (a gap means a patch went to the publisher's dead-letter
 * directory, or the topic lost records).
 */
public final class KafkaPatchReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaPatchReader.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition partition;
    private final byte[] key;
    private final PatchReassembler assembler;
    private final long startOffset;
    private final Path tmpDir;
    private boolean warnedForeign;

    /**
     * @param consumerProperties Kafka consumer settings; {@code bootstrap.servers} at least
     * @param topic              the sink's topic
     * @param dataset            the dataset's name (the records' key)
     * @param afterVersion       versions up to this one are skipped
     * @param tmpDir             where parts wait for the rest of their patch
     */
    public KafkaPatchReader(Map<String, Object> consumerProperties, String topic, String dataset, long afterVersion, Path tmpDir) {
        Map<String, Object> c = new HashMap<>(consumerProperties);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.key = dataset.getBytes(StandardCharsets.UTF_8);
        try {
            this.tmpDir = Files.createDirectories(tmpDir).resolve("kafka-patch-reader-" + System.nanoTime());
            Files.createDirectories(this.tmpDir);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot create a directory for patch parts in " + tmpDir + ": " + ex, ex);
        }
        this.consumer = new KafkaConsumer<>(c);
        try {
            List<PartitionInfo> parts = consumer.partitionsFor(topic);
            if ( parts == null || parts.isEmpty() )
                throw new IllegalArgumentException("Topic " + topic + " does not exist (or has no partitions)");
            this.partition = new TopicPartition(topic, KafkaSink.partitionFor(key, parts.size()));
            consumer.assign(List.of(partition));
            this.startOffset = afterVersion > 0 ? firstOffsetAfter(afterVersion) : consumer.beginningOffsets(List.of(partition)).get(partition);
            consumer.seek(partition, startOffset);
        } catch (RuntimeException ex) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            throw ex;
        }
        this.assembler = new PatchReassembler(this.tmpDir, afterVersion);
    }

    /**
     * An offset at or before the first record of this dataset with a version above
     * {@code afterVersion}, found by bisection (a dataset's versions only grow along its
     * partition), so that a reader far into a long topic does not read it from the start.
     */
    private long firstOffsetAfter(long afterVersion) {
        long lo = consumer.beginningOffsets(List.of(partition)).get(partition);
        long hi = consumer.endOffsets(List.of(partition)).get(partition);
        // Every record of this dataset before lo has a version <= afterVersion.
        while ( lo < hi ) {
            long mid = lo + (hi - lo) / 2;
            long[] found = firstOfDataset(mid, hi);
            if ( found == null || found[1] > afterVersion )
                hi = mid;
            else
                lo = found[0] + 1;
        }
        return lo;
    }

    /** Offset and version of the first patch record of this dataset in [from, to), or null. */
    private long[] firstOfDataset(long from, long to) {
        consumer.seek(partition, from);
        int idle = 0;
        while ( consumer.position(partition) < to && idle < 10 ) {
            List<ConsumerRecord<byte[], byte[]>> batch = consumer.poll(Duration.ofMillis(200)).records(partition);
            idle = batch.isEmpty() ? idle + 1 : 0;
            for ( ConsumerRecord<byte[], byte[]> r : batch ) {
                if ( r.offset() >= to )
                    return null;
                Header v = r.headers().lastHeader(PatchMessages.VERSION);
                if ( v != null && Arrays.equals(key, r.key()) ) {
                    try {
                        return new long[] {r.offset(), Long.parseLong(new String(v.value(), StandardCharsets.UTF_8))};
                    } catch (NumberFormatException ex) {
                        // Not readable as a patch: the reader reports it when it gets there.
                    }
                }
            }
        }
        return null;
    }

    /**
     * Whether the broker confirms within {@code timeout} that nothing is there to read after this
     * reader's position yet (reading committed records: nothing committed). False when it does not
     * answer in time: the consumer itself retries without a word while the broker is away.
     */
    public boolean atEnd(Duration timeout) {
        try {
            Long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            return end != null && consumer.position(partition, timeout) >= end;
        } catch (org.apache.kafka.common.errors.TimeoutException ex) {
            return false;
        }
    }

    /** Where reading started: at or before the first record after the version given. */
    public long startOffset() {
        return startOffset;
    }

    /** The partition read. */
    public TopicPartition partition() {
        return partition;
    }

    /** The version of the last whole patch returned. */
    public long lastVersion() {
        return assembler.lastVersion();
    }

    /**
     * The whole patches completed by the records that arrive within {@code timeout}, in version order.
     * Records under the dataset's key that are not fuseki-cdc patches are skipped, with a warning.
     *
     * @throws IllegalArgumentException when the partition holds a part that does not continue the patch being assembled (the topic is damaged)
     */
    public List<Patch> poll(Duration timeout) {
        List<Patch> out = new ArrayList<>();
        for ( TopicReader.Incoming in : pollMessages(timeout) ) {
            switch (in) {
                case TopicReader.PatchMessage m -> out.add(m.patch());
                case TopicReader.ForeignMessage f -> {
                    if ( f.headers().containsKey(PatchMessages.VERSION) )
                        throw new IllegalArgumentException(partition + " " + f.position() + ": " + f.reason());
                    if ( !warnedForeign ) {
                        LOG.warn("{} holds records under key '{}' that are not fuseki-cdc patches (first at {}); skipping them", partition,
                                 new String(key, StandardCharsets.UTF_8), f.position());
                        warnedForeign = true;
                    }
                }
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The whole patches completed by the records that arrive within {@code timeout}, each with
     * its offset, and the records under the dataset's key that cannot be part of a patch.
     */
    public List<TopicReader.Incoming> pollMessages(Duration timeout) {
        List<TopicReader.Incoming> out = new ArrayList<>();
        for ( ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout).records(partition) ) {
            if ( !Arrays.equals(key, r.key()) )
                continue;
            Map<String, String> headers = headers(r);
            String position = "offset " + r.offset();
            if ( !headers.containsKey(PatchMessages.VERSION) ) {
                out.add(new TopicReader.ForeignMessage(position, headers, r.value(), "a record without a " + PatchMessages.VERSION + " header: not a fuseki-cdc patch"));
                continue;
            }
            try {
                assembler.offer(headers, r.value()).ifPresent(p -> out.add(new TopicReader.PatchMessage(p, position)));
            } catch (IllegalArgumentException ex) {
                out.add(new TopicReader.ForeignMessage(position, headers, r.value(), ex.getMessage()));
            }
        }
        return out;
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> m = new LinkedHashMap<>();
        for ( Header h : r.headers() )
            m.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        return m;
    }

    @Override
    public void close() {
        assembler.close();
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        try (var files = Files.list(tmpDir)) {
            files.forEach(f -> f.toFile().delete());
            Files.deleteIfExists(tmpDir);
        } catch (IOException ex) {
            // Only temporary files are left behind.
        }
    }
}

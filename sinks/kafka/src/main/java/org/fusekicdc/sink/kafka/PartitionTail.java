package org.fusekicdc.sink.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.fusekicdc.core.internal.wire.EntityDocumentFormat;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.PatchMessages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of the Kafka sink's partition, read at {@link KafkaSink#open}: which version of the
 * dataset it holds last, so delivery resumes exactly after it. Reads backwards in growing
 * windows, since other datasets may share the topic.
 */
final class PartitionTail {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);
    /** First window of records read back from the end of the partition at start-up. */
    private static final int TAIL_WINDOW = 8;
    /** How far back start-up looks for the dataset's last record in a topic shared with other datasets. */
    private static final int TAIL_SCAN_LIMIT = 10_000;

    private final KafkaSinkConfig config;
    private final byte[] key;
    private final TopicPartition partition;

    PartitionTail(KafkaSinkConfig config, byte[] key, TopicPartition partition) {
        this.config = config;
        this.key = key;
        this.partition = partition;
    }

    /**
     * The last patch of this dataset in the partition.
     *
     * @param version the last record's version if it completes its patch, the one before
     *        otherwise; 0 if the partition never held one; {@link KafkaSink#UNKNOWN} if records
     *        were removed by retention and none of ours is left
     * @param id the patch id of {@code version} when the last record completes it, else null
     */
    record Last(long version, String id) {}

    /** The version of the last patch of this dataset in the partition (see {@link Last#version}). */
    long lastVersion() throws SinkException, InterruptedException {
        return last().version();
    }

    /** The last patch of this dataset in the partition. */
    Last last() throws SinkException, InterruptedException {
        long deadline = System.currentTimeMillis() + config.sendTimeout().toMillis();
        Duration timeout = config.sendTimeout();
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KafkaClientSettings.consumer(config, "tail"));
        try {
            consumer.assign(List.of(partition));
            long begin = consumer.beginningOffsets(List.of(partition), timeout).get(partition);
            // read_committed: the end is the last stable offset, past any transaction still open.
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long upper = end;
            long window = TAIL_WINDOW;
            while ( upper > begin ) {
                long from = Math.max(begin, upper - window);
                consumer.seek(partition, from);
                ConsumerRecord<byte[], byte[]> found = null;
                while ( consumer.position(partition, timeout) < upper ) {
                    if ( System.currentTimeMillis() > deadline )
                        throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': reading the end of " + partition + " (offsets " + from
                                                             + ".." + upper + ") did not finish within " + timeout.toSeconds() + " s (cdc:"
                                                             + KafkaSinkConfig.SEND_TIMEOUT_SECONDS.name() + ")", null);
                    for ( ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(partition) ) {
                        if ( r.offset() < upper && isOurs(r) )
                            found = r;
                    }
                }
                if ( found != null ) {
                    long version = resumeVersion(found);
                    return new Last(version, String.valueOf(version).equals(header(found, PatchMessages.VERSION)) ? header(found, PatchMessages.ID) : null);
                }
                if ( end - from >= TAIL_SCAN_LIMIT ) {
                    LOG.warn("Dataset '{}': Kafka sink '{}': none of the last {} records of {} is a patch of this dataset (the topic is shared with"
                             + " other datasets); continuing from the sink's cursor, which may repeat the last few patches. Give the dataset a topic"
                             + " of its own to avoid this.", config.dataset(), config.sink(), end - from, partition);
                    return new Last(KafkaSink.UNKNOWN, null);
                }
                upper = from;
                window *= 4;
            }
            // Nothing of ours: an empty partition, or one whose records retention removed.
            return new Last(begin == 0 ? 0 : KafkaSink.UNKNOWN, null);
        } finally {
            consumer.close(CloseOptions.timeout(KafkaSink.CLOSE_TIMEOUT));
        }
    }

    private boolean isOurs(ConsumerRecord<byte[], byte[]> r) {
        // Entity documents are keyed by subject; their dataset header says whose they are.
        return r.headers().lastHeader(PatchMessages.VERSION) != null
               && (Arrays.equals(key, r.key()) || r.headers().lastHeader(EntityDocumentFormat.SUBJECT) != null
                                                  && config.dataset().equals(header(r, PatchMessages.DATASET)));
    }

    private long resumeVersion(ConsumerRecord<byte[], byte[]> r) throws SinkException {
        try {
            long version = Long.parseLong(header(r, PatchMessages.VERSION));
            String seg = header(r, PatchMessages.PART);
            String segs = header(r, PatchMessages.PARTS);
            if ( seg != null && segs != null && Long.parseLong(seg) < Long.parseLong(segs) - 1 ) {
                LOG.info("Dataset '{}': Kafka sink '{}': the last record in {} is part {} of {} of version {}; sending that version again, whole",
                         config.dataset(), config.sink(), partition, seg, segs, version);
                return version - 1;
            }
            return version;
        } catch (NumberFormatException ex) {
            throw SinkException.permanentSinkFailure("Kafka sink '" + config.sink() + "': the record at offset " + r.offset() + " of " + partition
                                                     + " has a malformed fuseki-cdc header (" + ex.getMessage() + "). The topic holds records that are"
                                                     + " not fuseki-cdc patches under this dataset's key; point cdc:" + KafkaSinkConfig.TOPIC.name()
                                                     + " at a topic of its own", ex);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}

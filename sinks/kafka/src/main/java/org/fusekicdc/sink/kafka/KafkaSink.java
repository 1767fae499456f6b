package org.fusekicdc.sink.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Utils;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.internal.wire.EntityDocumentFormat;
import org.fusekicdc.core.internal.wire.MessagesAhead;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a dataset's patches to one partition of a Kafka topic: the partition its key (the
 * dataset name) maps to under Kafka's default rule, so every patch of the dataset is in one
 * ordered log.
 * <p>
 * Exactly once: the producer is idempotent ({@code enable.idempotence=true}, {@code acks=all}),
 * so the partition takes its records in the order they were sent and never one after a record
 * it did not take; and the first record that fails closes the producer at once (from the
 * producer's own callback), so nothing queued behind it is sent, or re-sent out of order, later.
 * The partition thus only ever holds whole patches in version order, each possibly preceded
 * by an interrupted first part of itself (parts 0..k).
 * <p>
 * Pipeline: {@link #send} hands a batch of patches to the producer and returns; the runner keeps
 * up to {@value #MAX_IN_FLIGHT} sends outstanding (the producer itself up to 5 requests, which an
 * idempotent producer keeps in order), so a sink that fell behind catches up in produce requests
 * of many records ({@code batch.size} up to the record limit), not one round trip per patch.
 * {@link #deliver} sends one patch and waits for it (the runner uses it to find the patch at
 * fault after a permanent failure). {@link #open} reads the partition's last patch record and reports its
 * version, or the version before it when that record is not the last part of its patch,
 * so the runner resumes exactly after what the topic holds. With {@code transactional} each
 * patch is one Kafka transaction and {@code read_committed} consumers only ever see whole
 * patches.
 * <p>
 * Record: key = dataset name (UTF-8), value = the patch (or one part of it) in the configured
 * {@link org.fusekicdc.core.wire.MessageFormat}, headers = {@link PatchMessages} headers as
 * UTF-8, and with {@code cdc:cloudEvents binary} the CloudEvents {@code ce_} headers. The
 * start-up check reads the {@link PatchMessages} headers only, so it works whatever the format.
 */
public final class KafkaSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** Sends the runner may have outstanding (the producer adds its own limit of 5 requests in flight). */
    static final int MAX_IN_FLIGHT = 8;
    /** Patches per send when the sink is behind. */
    static final int MAX_BATCH = 500;

    private final KafkaSinkConfig config;
    private final Path workDir;
    private final byte[] key;
    private KafkaProducer<byte[], byte[]> producer;
    private TopicPartition partition;
    private boolean inTransaction;
    private boolean loggedConfig;

    public KafkaSink(KafkaSinkConfig config, Path workDir) {
        this.config = config;
        this.workDir = workDir;
        this.key = config.dataset().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String name() {
        return config.sink();
    }

    public KafkaSinkConfig config() {
        return config;
    }

    /** The partition of the topic a key goes to under Kafka's default partitioner. */
    public static int partitionFor(byte[] key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    /** The partition this sink writes to, once open. */
    public TopicPartition partition() {
        return partition;
    }

    @Override
    public long open() throws SinkException {
        return open(null);
    }

    /**
     * With {@code ids} and {@code cdc:transactional}, the partition's last patch is read before the
     * producer claims the transactional id: if it is not this server's (another server was promoted
     * and published since), the sink is fenced without taking the id from the new leader.
     */
    @Override
    public long open(PatchIds ids) throws SinkException {
        close();
        String step = "connect to " + config.bootstrapServers();
        try {
            int partitions;
            Admin admin = Admin.create(KafkaClientSettings.admin(config));
            try {
                step = "find or create topic " + config.topic();
                KafkaTopicSetup setup = new KafkaTopicSetup(config, admin);
                partitions = setup.ensureTopic();
                setup.checkTopicConfig();
            } finally {
                admin.close(CLOSE_TIMEOUT);
            }
            partition = new TopicPartition(config.topic(), partitionFor(key, partitions));
            if ( ids != null && config.transactional() ) {
                step = "check that no other leader published to " + partition;
                checkNotSuperseded(new PartitionTail(config, key, partition).last(), ids);
            }
            Map<String, Object> pc = KafkaClientSettings.producer(config);
            producer = new KafkaProducer<>(pc);
            if ( config.transactional() ) {
                // Fences off any earlier producer of this sink and aborts its open transaction,
                // so the read below sees exactly what was committed.
                step = "initialise transactions (transactional.id " + config.transactionalId() + ")";
                producer.initTransactions();
            }
            step = "read the last record of " + partition;
            PartitionTail.Last tail = new PartitionTail(config, key, partition).last();
            if ( ids != null && config.transactional() ) {
                // Again, now that this producer holds the id: another leader may have published between the first check and initTransactions.
                step = "check that no other leader published to " + partition + " before this producer claimed the transactional id";
                checkNotSuperseded(tail, ids);
            }
            long last = tail.version();
            String there = last == UNKNOWN ? "unknown (none of this dataset's records left to read), continuing from the sink's cursor" : Long.toString(last);
            if ( loggedConfig ) {
                LOG.info("Dataset '{}': Kafka sink '{}' open: topic {} partition {}, last version there {}", config.dataset(), config.sink(),
                         config.topic(), partition.partition(), there);
            } else {
                LOG.info("Dataset '{}': Kafka sink '{}' open: topic {} partition {}, last version there {}; producer settings {}", config.dataset(),
                         config.sink(), config.topic(), partition.partition(), there, KafkaSinkConfig.masked(pc));
                loggedConfig = true;
            }
            return last;
        } catch (SinkException ex) {
            close();
            throw ex;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            close();
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': interrupted while trying to " + step, ex);
        } catch (Exception ex) {
            close();
            throw KafkaFailures.classify(config, ex, "cannot " + step);
        }
    }

    /** Throws {@link SinkException#fenced} when the partition's last patch is not this server's. */
    private void checkNotSuperseded(PartitionTail.Last last, PatchIds ids) throws SinkException {
        if ( last.version() <= 0 || last.id() == null )
            return;
        String theirs = "version " + last.version() + " (patch " + last.id() + ")";
        if ( last.version() > ids.headVersion() )
            throw SinkException.fenced(partition + " holds " + theirs + " but this server's log ends at version " + ids.headVersion()
                                       + ": another server was promoted leader and published after this one", null);
        Optional<UUID> ours = ids.idAt(last.version());
        if ( ours.isPresent() && !ours.get().toString().equals(last.id()) )
            throw SinkException.fenced(partition + " holds " + theirs + " where this server's log holds patch " + ours.get()
                                       + ": another server was promoted leader and published a different history", null);
    }

    /** Transactions are one patch each: no pipeline. */
    @Override
    public int maxInFlight() {
        return config.transactional() ? 1 : MAX_IN_FLIGHT;
    }

    @Override
    public int maxBatch() {
        return config.transactional() ? 1 : MAX_BATCH;
    }

    /** Hand every record of the patches to the producer, in order; the result waits for their acknowledgements. */
    @Override
    public Delivery send(List<PatchRecord> patches) throws SinkException {
        if ( config.transactional() )
            return Sink.super.send(patches);
        KafkaProducer<byte[], byte[]> p = producer;
        if ( p == null )
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "' is not open", null);
        List<Sent> sent = new ArrayList<>();
        try (MessagesAhead ahead = MessagesAhead.start(config.messageFormat(), patches, this::envelope, config.maxMessageBytes(), workDir)) {
            for ( PatchRecord patch : patches ) {
                try {
                    ahead.messages(patch, (headers, value) -> {
                        Future<RecordMetadata> f = send(p, patch, headers, value, true);
                        sent.add(new Sent(f, patch, headers));
                    });
                } catch (IOException ex) {
                    throw SinkException.logReadFailure(patch.version(), ex);
                }
            }
        }
        return () -> {
            for ( Sent s : sent )
                await(s.future(), s.patch(), s.headers());
        };
    }

    private record Sent(Future<RecordMetadata> future, PatchRecord patch, Map<String, String> headers) {}

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        if ( producer == null )
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "' is not open", null);
        if ( config.transactional() )
            deliverInTransaction(patch);
        else
            deliverInOrder(patch);
    }

    /** One part at a time, each acknowledged before the next, so a failure leaves at most a first part of the patch. */
    private void deliverInOrder(PatchRecord patch) throws SinkException {
        try {
            config.messageFormat().messages(patch, envelope(patch), config.maxMessageBytes(), workDir, (headers, value) -> {
                Future<RecordMetadata> f = send(patch, headers, value);
                await(f, patch, headers);
            });
        } catch (IOException ex) {
            throw SinkException.logReadFailure(patch.version(), ex);
        }
    }

    /** All parts in one transaction: consumers reading committed records see the whole patch or nothing. */
    private void deliverInTransaction(PatchRecord patch) throws SinkException {
        try {
            producer.beginTransaction();
            inTransaction = true;
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            List<Map<String, String>> sentHeaders = new ArrayList<>();
            config.messageFormat().messages(patch, envelope(patch), config.maxMessageBytes(), workDir, (headers, value) -> {
                Future<RecordMetadata> f = send(patch, headers, value);
                if ( f.isDone() )
                    await(f, patch, headers);
                sent.add(f);
                sentHeaders.add(headers);
            });
            for ( int i = 0 ; i < sent.size() ; i++ )
                await(sent.get(i), patch, sentHeaders.get(i));
            producer.commitTransaction();
            inTransaction = false;
        } catch (SinkException ex) {
            abortQuietly();
            throw ex;
        } catch (IOException ex) {
            abortQuietly();
            throw SinkException.logReadFailure(patch.version(), ex);
        } catch (Exception ex) {
            abortQuietly();
            throw KafkaFailures.classify(config, ex, "version " + patch.version() + " could not be committed in a Kafka transaction");
        }
    }

    /** The CloudEvents headers of the patch's records, when configured. */
    private Map<String, String> envelope(PatchRecord patch) {
        return config.cloudEvents().map(ce -> ce.binaryHeaders(CloudEvents.Binding.KAFKA, patch, config.messageFormat())).orElse(Map.of());
    }

    /** A send whose acknowledgement is waited for before anything else is sent. */
    private Future<RecordMetadata> send(PatchRecord patch, Map<String, String> headers, byte[] value) throws SinkException {
        return send(producer, patch, headers, value, false);
    }

    /**
     * @param pipelined other records may be sent behind this one before it is acknowledged: its
     *        failure then closes the producer at once
     */
    private Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> p, PatchRecord patch, Map<String, String> headers, byte[] value, boolean pipelined)
        throws SinkException {
        RecordHeaders rh = new RecordHeaders();
        headers.forEach((k, v) -> rh.add(k, v.getBytes(StandardCharsets.UTF_8)));
        // Entity documents: keyed by subject, and a tombstone is a null value, so log compaction keeps each subject's latest state.
        String subject = headers.get(EntityDocumentFormat.SUBJECT);
        byte[] recordKey = subject == null ? key : subject.getBytes(StandardCharsets.UTF_8);
        byte[] recordValue = subject != null && value.length == 0 ? null : value;
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(partition.topic(), partition.partition(), recordKey, recordValue, rh);
        try {
            if ( !pipelined )
                return p.send(rec);
            return p.send(rec, (metadata, failure) -> {
                // On the producer's I/O thread: closing at once (a zero timeout) drops every record
                // queued behind the failed one, so none of them can be written after it later.
                if ( failure != null )
                    p.close(Duration.ZERO);
            });
        } catch (Exception ex) {
            throw KafkaFailures.classify(config, ex, "version " + patch.version() + partText(headers) + " could not be sent");
        }
    }

    private void await(Future<RecordMetadata> f, PatchRecord patch, Map<String, String> headers) throws SinkException {
        long waitMs = config.sendTimeout().toMillis() + 5_000;
        try {
            f.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': interrupted while waiting for version " + patch.version()
                                                 + " to be acknowledged", ex);
        } catch (TimeoutException ex) {
            throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': version " + patch.version() + partText(headers)
                                                 + " was not acknowledged by " + partition + " within " + waitMs / 1000 + " s", ex);
        } catch (ExecutionException ex) {
            throw KafkaFailures.classify(config, ex.getCause(), "version " + patch.version() + partText(headers) + " was not accepted by " + partition);
        }
    }

    private static String partText(Map<String, String> headers) {
        String n = headers.get(PatchMessages.PARTS);
        return n == null || n.equals("1") ? "" : " (part " + headers.get(PatchMessages.PART) + " of " + n + ")";
    }

    private void abortQuietly() {
        if ( !inTransaction || producer == null )
            return;
        inTransaction = false;
        try {
            producer.abortTransaction();
        } catch (RuntimeException ex) {
            // The producer is unusable; the next open() starts a new one, whose initTransactions aborts what is left.
            LOG.debug("Dataset '{}': Kafka sink '{}': abort failed ({}); closing the producer", config.dataset(), config.sink(), ex.toString());
            closeProducer();
        }
    }

    private void closeProducer() {
        KafkaProducer<byte[], byte[]> p = producer;
        producer = null;
        inTransaction = false;
        if ( p == null )
            return;
        try {
            p.close(CLOSE_TIMEOUT);
        } catch (RuntimeException ex) {
            LOG.debug("Dataset '{}': Kafka sink '{}': closing the producer: {}", config.dataset(), config.sink(), ex.toString());
        }
    }

    @Override
    public void close() {
        closeProducer();
    }

    @Override
    public String toString() {
        return "KafkaSink[" + config.sink() + " -> " + config.topic() + " @ " + config.bootstrapServers() + "]";
    }
}

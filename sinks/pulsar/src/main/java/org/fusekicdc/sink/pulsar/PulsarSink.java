package org.fusekicdc.sink.pulsar;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a dataset's patches to one Pulsar topic, several messages in flight at once, so the
 * topic holds versions 1, 2, 3, ... once each and in order.
 * <p>
 * Pipelined ({@link #maxInFlight}, {@link #send}): the producer sends its messages in order on
 * one connection, the broker stores them in that order, and with its deduplication on it
 * drops a message whose sequence id is not above the last it stored for the producer's name.
 * After a failure the runner reopens the sink, which reads the topic's end and sends again from
 * there; what the broker had already stored comes back as duplicates it drops. Producer
 * batching stays off: the broker judges a batch by its sequence ids as a whole, and a batch
 * re-sent from the start of a patch that the topic ends with part of would lose its new parts.
 * <p>
 * Each message has the dataset as its key, the {@link PatchMessages} headers as its
 * properties, and a sequence id made of the version and the part index
 * ({@link #sequenceId}). The producer's name is stable per dataset and sink, so with the
 * broker's deduplication on, a message sent again (after a lost receipt, or a crash) is dropped
 * by the broker: its sequence id is not above the last one the broker stored for that name.
 * <p>
 * {@link #open} reads the topic's last message and returns the version it completes: a part
 * that is not its patch's last means that patch is incomplete, so {@code open} returns the
 * version before it and the whole patch is sent again (the broker drops the parts it already
 * has; without deduplication consumers start the patch over at its part 0).
 * <p>
 * Large patches are cut into parts of {@code cdc:maxMessageBytes} ({@link PatchMessages}),
 * like the other sinks, rather than by Pulsar's chunking: a part is all the sink holds in
 * memory, and consumers that are not Pulsar's own (readers through other protocols, this
 * project's followers) see the same headers as on every other broker.
 * <p>
 * Failures: a broker that cannot be reached, a timeout, a topic that moved on or continues
 * another log are transient (the runner reopens the sink, which re-reads the topic); refused
 * credentials or permissions stop the sink (permanent, sink-wide); a message over the
 * broker's or the topic's size limit is the patch's permanent failure.
 */
public final class PulsarSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(PulsarSink.class);
    /** Bits of a sequence id that hold the part index; the version takes the bits above. */
    static final int PART_BITS = 20;
    static final long MAX_PARTS = 1L << PART_BITS;
    static final long MAX_VERSION = Long.MAX_VALUE >> PART_BITS;
    /** Sends the runner may have outstanding, and patches per send. */
    static final int MAX_IN_FLIGHT = 8, MAX_BATCH = 64;
    /** Bytes of messages in flight before the sink waits for the oldest; also bounds the producer's queue. */
    static final long MAX_PENDING_BYTES = 16L << 20;
    static final int MAX_PENDING_MESSAGES = 1000;

    private final PulsarSinkConfig config;
    private final Path workDir;

    private PulsarClient client;
    private Producer<byte[]> producer;

    /** The last version complete on the topic; -1 when the topic cannot tell. */
    private long lastVersion = -1;
    /** The id of that version's patch, or null. */
    private String lastPatchId;
    /** The id of a patch whose first parts end the topic, or null. */
    private String partialId;

    /**
     * The largest message (body and properties) the broker has stored since the sink opened: a
     * message up to this size passes the topic's size limit, so others may be sent behind it.
     */
    private int storedBytes;
    /** Messages handed to the producer whose receipts are not yet awaited, oldest first. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long pendingBytes;
    /** {@link #lastVersion}, {@link #lastPatchId}, {@link #partialId} as far as the broker has confirmed. */
    private long ackedVersion = -1;
    private String ackedPatchId, ackedPartialId;

    public PulsarSink(PulsarSinkConfig config, Path workDir) {
        this.config = config;
        this.workDir = workDir;
        LOG.info("Dataset '{}': Pulsar sink '{}': {}", config.dataset(), config.sinkName(), config.describe());
    }

    public PulsarSinkConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.sinkName();
    }

    /** The sequence id of part {@code part} of {@code version}: the version in the high bits, so ids grow along the topic. */
    static long sequenceId(long version, int part) {
        return version << PART_BITS | part;
    }

    @Override
    public long open() throws SinkException {
        close();
        try {
            client = PulsarClients.create(config.serviceUrl(), config.token(), config.connectTimeout(), config.publishTimeout());
            producer = PulsarClients.await(client.newProducer()
                                                 .topic(config.topic())
                                                 .producerName(config.producerName())
                                                 .enableBatching(false)
                                                 .enableChunking(false)
                                                 .blockIfQueueFull(true)
                                                 .maxPendingMessages(MAX_PENDING_MESSAGES)
                                                 .sendTimeout((int)config.publishTimeout().toSeconds(), TimeUnit.SECONDS)
                                                 .createAsync(),
                                           config.connectTimeout(), "creating producer " + config.producerName() + " on topic " + config.topic());
            long brokerSeq = producer.getLastSequenceId();
            storedBytes = 0;
            long there = readTopicEnd(brokerSeq);
            ackedVersion = lastVersion;
            ackedPatchId = lastPatchId;
            ackedPartialId = partialId;
            LOG.info("Dataset '{}': Pulsar sink '{}' connected to {}; topic {} holds {}; broker's last sequence id for producer {}: {}{}",
                     config.dataset(), name(), config.serviceUrl(), config.topic(),
                     there == UNKNOWN ? "no message any more (removed by retention: continuing from the sink's cursor)"
                                      : there == 0 ? "nothing" : "up to version " + there,
                     config.producerName(), brokerSeq,
                     partialId != null ? "; version " + (there + 1) + " is incomplete there and is sent again whole" : "");
            if ( there > 0 && brokerSeq < 0 )
                LOG.warn("Dataset '{}': Pulsar sink '{}': topic {} holds patches but the broker knows no sequence id for producer {}: deduplication"
                         + " looks off. A message resent after a lost receipt could be stored twice (consumers drop repeats by version). Turn it on:"
                         + " pulsar-admin namespaces set-deduplication <tenant/namespace> --enable, or brokerDeduplicationEnabled=true",
                         config.dataset(), name(), config.topic(), config.producerName());
            return there;
        } catch (SinkException ex) {
            close();
            throw ex;
        } catch (PulsarClientException.AuthenticationException | PulsarClientException.AuthorizationException ex) {
            close();
            throw SinkException.permanentSinkFailure("the Pulsar broker at " + config.serviceUrl() + " refused "
                                                     + (ex instanceof PulsarClientException.AuthenticationException ? "the credentials" : "to let them produce on topic " + config.topic())
                                                     + " (" + config.tokenSource() + "): " + firstLine(ex) + ". Fix cdc:" + PulsarSinkConfig.TOKEN_ENV.name()
                                                     + " (or the token in the variable it names) or the role's permissions, then resume the sink", ex);
        } catch (PulsarClientException.ProducerBusyException ex) {
            close();
            throw SinkException.transientFailure("producer name " + config.producerName() + " is in use on topic " + config.topic() + " (" + firstLine(ex)
                                                 + "): another server, or this one before a restart the broker has not noticed yet, publishes there."
                                                 + " Give each sink its own cdc:" + PulsarSinkConfig.PRODUCER_NAME.name(), ex);
        } catch (PulsarClientException | RuntimeException ex) {
            close();
            throw SinkException.transientFailure("cannot publish to Pulsar topic " + config.topic() + " at " + config.serviceUrl() + ": " + firstLine(ex)
                                                 + ". Check that the broker runs and cdc:" + PulsarSinkConfig.URL.name(), ex);
        }
    }

    // ---- Where the topic ends

    /**
     * The version the topic's last message completes; 0 for a topic that never held one;
     * UNKNOWN for one whose messages were all removed (retention), which the broker's
     * deduplication state for our producer ({@code brokerSeq} at or above 0) tells apart.
     */
    private long readTopicEnd(long brokerSeq) throws PulsarClientException, SinkException {
        lastVersion = -1;
        lastPatchId = null;
        partialId = null;
        Message<byte[]> last = lastMessage();
        if ( last == null ) {
            if ( brokerSeq >= 0 )
                return UNKNOWN;
            lastVersion = 0;
            return 0;
        }
        Map<String, String> h = last.getProperties();
        String v = h.get(PatchMessages.VERSION);
        if ( v == null )
            throw SinkException.permanentSinkFailure("the last message on topic " + config.topic() + " (" + last.getMessageId() + ") is not a fuseki-cdc patch:"
                                                     + " something else publishes there. Give this dataset a topic of its own (cdc:" + PulsarSinkConfig.TOPIC.name() + ")", null);
        String dataset = h.get(PatchMessages.DATASET);
        if ( !config.dataset().equals(dataset) )
            throw SinkException.permanentSinkFailure("topic " + config.topic() + " holds patches of dataset '" + dataset + "', not '" + config.dataset()
                                                     + "'. Give each dataset its own topic (cdc:" + PulsarSinkConfig.TOPIC.name() + ")", null);
        long version;
        int part, parts;
        try {
            version = Long.parseLong(v);
            part = Integer.parseInt(h.getOrDefault(PatchMessages.PART, "0"));
            parts = Integer.parseInt(h.getOrDefault(PatchMessages.PARTS, "1"));
        } catch (NumberFormatException ex) {
            throw SinkException.permanentSinkFailure("the last message on topic " + config.topic() + " (" + last.getMessageId() + ") has malformed fuseki-cdc properties "
                                                     + h + ". Give this dataset a topic of its own", ex);
        }
        if ( part + 1 >= parts ) {
            lastVersion = version;
            lastPatchId = h.get(PatchMessages.ID);
        } else {
            lastVersion = version - 1;
            lastPatchId = h.get(PatchMessages.PREV);
            partialId = h.get(PatchMessages.ID);
        }
        return lastVersion;
    }

    /** The topic's last message, or null when it holds none. Every step is bounded: a broker that is still loading the topic must not hold up the runner. */
    private Message<byte[]> lastMessage() throws PulsarClientException {
        String what = "reading the last message of topic " + config.topic();
        Reader<byte[]> reader = PulsarClients.await(client.newReader()
                                                          .topic(config.topic())
                                                          .startMessageId(MessageId.latest)
                                                          .startMessageIdInclusive()
                                                          .createAsync(), config.connectTimeout(), what);
        try {
            if ( !PulsarClients.await(reader.hasMessageAvailableAsync(), config.connectTimeout(), what) )
                return null;
            return PulsarClients.await(reader.readNextAsync(), config.connectTimeout(), what);
        } finally {
            reader.closeAsync();
        }
    }

    // ---- Delivery

    @Override
    public int maxInFlight() {
        return MAX_IN_FLIGHT;
    }

    @Override
    public int maxBatch() {
        return MAX_BATCH;
    }

    /** A message in flight: its receipt, and what it was. */
    private static final class Pending {
        final CompletableFuture<MessageId> receipt;
        final long version;
        final String patchId;
        final int part, parts, bytes;
        /** Taken off {@link #pending}; {@code failed} when its receipt was a failure. */
        boolean settled, failed;

        Pending(CompletableFuture<MessageId> receipt, long version, String patchId, int part, int parts, int bytes) {
            this.receipt = receipt;
            this.version = version;
            this.patchId = patchId;
            this.part = part;
            this.parts = parts;
            this.bytes = bytes;
        }

        String where(String topic) {
            return parts == 1 ? "topic " + topic : "part " + (part + 1) + " of " + parts + " on topic " + topic;
        }
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        send(List.of(patch)).await();
    }

    /**
     * Hand the patches' messages to the producer without waiting; the result waits for their
     * receipts. One producer sends its messages in order on one connection and the broker
     * stores them in that order, dropping any whose sequence id is not above the last it
     * stored for the producer's name: so several messages in flight keep the topic's order, and
     * whatever is re-sent after a failure is stored once.
     */
    @Override
    public Delivery send(List<PatchRecord> patches) throws SinkException {
        if ( producer == null )
            throw SinkException.transientFailure("the sink is not connected", null);
        List<Pending> mine = new ArrayList<>();
        try {
            for ( PatchRecord patch : patches ) {
                long version = patch.version();
                String id = patch.meta().id().toString();
                if ( lastVersion >= 0 && version <= lastVersion ) {
                    LOG.debug("Dataset '{}': Pulsar sink '{}': topic {} already holds version {} (patch {})", config.dataset(), name(), config.topic(), version, id);
                    continue;
                }
                if ( version > MAX_VERSION )
                    throw SinkException.permanentFailure("version " + version + " is beyond what a Pulsar sequence id can carry (" + MAX_VERSION + ")", null);
                if ( lastVersion >= 0 && version == lastVersion + 1 )
                    checkChain(patch, id);
                try {
                    config.format().messages(patch, Map.of(), config.maxMessageBytes(), workDir,
                                             (headers, value) -> mine.add(publishAsync(version, id, headers, value)));
                } catch (IOException ex) {
                    throw SinkException.logReadFailure(version, ex);
                }
                lastVersion = version;
                lastPatchId = id;
                partialId = null;
            }
        } catch (SinkException ex) {
            // Messages of this send may be in flight: back to what the broker confirmed, so that
            // the patches the runner then delivers one at a time are sent again, not skipped.
            throw abandon(ex);
        }
        return () -> {
            for ( Pending p : mine )
                settle(p);
        };
    }

    /**
     * The topic must continue this log: the patch follows the topic's last one, or the topic
     * ends with its first parts. Otherwise it holds another log's patches; not this patch's
     * fault, so transient (a permanent failure could send patch after patch to the dead-letter
     * directory): the sink keeps retrying, and says why, until the topic is fixed.
     */
    private void checkChain(PatchRecord patch, String id) throws SinkException {
        UUID prev = patch.meta().prevId();
        String prevId = prev == null ? null : prev.toString();
        if ( partialId != null ? !partialId.equals(id) : lastPatchId != null && !lastPatchId.equals(prevId) )
            throw SinkException.transientFailure("topic " + config.topic() + " ends with version " + lastVersion
                                                 + (partialId != null ? " and part of patch " + partialId + ", but this log's next patch is " + id
                                                                      : " as patch " + lastPatchId + ", but this log's version " + lastVersion + " is patch " + prevId)
                                                 + ": the topic holds another log's patches (the change log was replaced, or another server publishes there)."
                                                 + " Point cdc:" + PulsarSinkConfig.TOPIC.name() + " at a topic of its own, or delete this one", null);
    }

    private Pending publishAsync(long version, String patchId, Map<String, String> headers, byte[] value) throws SinkException {
        int part = Integer.parseInt(headers.get(PatchMessages.PART));
        int parts = Integer.parseInt(headers.get(PatchMessages.PARTS));
        if ( parts > MAX_PARTS )
            throw SinkException.permanentFailure("the patch needs " + parts + " parts of cdc:" + PulsarSinkConfig.MAX_MESSAGE_BYTES.name() + " "
                                                 + config.maxMessageBytes() + " bytes, more than a sequence id can number (" + MAX_PARTS + "); raise cdc:"
                                                 + PulsarSinkConfig.MAX_MESSAGE_BYTES.name(), null);
        // Memory bounded: wait for the oldest messages while too many bytes are in flight.
        while ( pendingBytes + value.length > MAX_PENDING_BYTES && !pending.isEmpty() )
            settle(pending.peekFirst());
        CompletableFuture<MessageId> receipt = producer.newMessage()
                                                       .key(config.dataset())
                                                       .properties(headers)
                                                       .sequenceId(sequenceId(version, part))
                                                       .value(value)
                                                       .sendAsync();
        Pending p = new Pending(receipt, version, patchId, part, parts, messageBytes(headers, value));
        pending.addLast(p);
        pendingBytes += p.bytes;
        // The client refuses a message over the broker's size limit at once, and the broker one
        // over the topic's, but stores what was sent after it: past the gap, and the refused
        // version could never follow (its sequence id is then below the broker's last). So a
        // message larger than any the broker has stored since the sink opened, and every part
        // of a split patch, is sent with nothing behind it until its receipt: a refusal then
        // stops the sink (or sets the patch aside) with the topic ending just before it.
        if ( parts > 1 || p.bytes > storedBytes || receipt.isCompletedExceptionally() )
            settle(p);
        return p;
    }

    /** The size the broker checks against its limits, less its own small metadata: the body and the properties. */
    private static int messageBytes(Map<String, String> headers, byte[] value) {
        int bytes = value.length;
        for ( Map.Entry<String, String> h : headers.entrySet() )
            bytes += h.getKey().length() + h.getValue().length();
        return bytes;
    }

    /** Wait for {@code p} and every message before it; a failure abandons them all. */
    private void settle(Pending p) throws SinkException {
        if ( p.failed )
            throw SinkException.transientFailure("version " + p.version + ": its message failed earlier", null);
        while ( !p.settled ) {
            Pending first = pending.pollFirst();
            if ( first == null )
                throw SinkException.transientFailure("version " + p.version + ": its message was abandoned after an earlier failure", null);
            first.settled = true;
            pendingBytes -= first.bytes;
            Duration bound = config.publishTimeout().plus(config.connectTimeout());
            try {
                // The producer's send timeout fails the receipt first; this bound is a backstop.
                first.receipt.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException ex) {
                first.failed = true;
                throw abandon(failure(first, ex.getCause()));
            } catch (TimeoutException ex) {
                first.failed = true;
                throw abandon(SinkException.transientFailure(first.where(config.topic()) + ": version " + first.version + " not persisted within "
                                                             + bound.toSeconds() + " s", ex));
            } catch (InterruptedException ex) {
                first.failed = true;
                Thread.currentThread().interrupt();
                throw abandon(SinkException.transientFailure("interrupted while waiting for the broker's receipt for version " + first.version, ex));
            }
            storedBytes = Math.max(storedBytes, first.bytes);
            if ( first.part + 1 == first.parts ) {
                ackedVersion = first.version;
                ackedPatchId = first.patchId;
                ackedPartialId = null;
            } else {
                ackedPartialId = first.patchId;
            }
        }
    }

    /**
     * Forget every message in flight and go back to what the broker confirmed: the runner
     * either reopens the sink or delivers the failed send's patches again one at a time, and
     * those the broker already stored come back as duplicates it drops.
     */
    private SinkException abandon(SinkException ex) {
        pending.clear();
        pendingBytes = 0;
        lastVersion = ackedVersion;
        lastPatchId = ackedPatchId;
        partialId = ackedPartialId;
        return ex;
    }

    private SinkException failure(Pending p, Throwable cause) {
        String where = p.where(config.topic());
        if ( cause instanceof PulsarClientException.NotAllowedException || cause instanceof PulsarClientException.InvalidMessageException )
            // The broker refuses a message over the topic's maxMessageSize (NotAllowed); the client
            // one over the broker's maxMessageSize (InvalidMessage): splitting at this size cannot help.
            return SinkException.permanentFailure(where + ": version " + p.version + ", a message of " + p.bytes + " bytes (body and properties), refused as too large ("
                                                  + firstLine(cause) + "): the topic's max-message-size policy or the broker's maxMessageSize is below cdc:"
                                                  + PulsarSinkConfig.MAX_MESSAGE_BYTES.name() + " (now " + config.maxMessageBytes() + "). Lower cdc:"
                                                  + PulsarSinkConfig.MAX_MESSAGE_BYTES.name() + " below both limits, or raise the topic's"
                                                  + " (pulsar-admin topics set-max-message-size), then resume the sink", cause);
        if ( cause instanceof PulsarClientException.AuthorizationException )
            return SinkException.permanentSinkFailure(where + ": the broker refused to let " + config.tokenSource() + " produce: " + firstLine(cause)
                                                      + ". Grant the role produce permission, or fix cdc:" + PulsarSinkConfig.TOKEN_ENV.name() + ", then resume the sink", cause);
        return SinkException.transientFailure(where + ": " + firstLine(cause) + (cause instanceof PulsarClientException.TimeoutException
            ? " (not persisted within cdc:" + PulsarSinkConfig.PUBLISH_TIMEOUT_SECONDS.name() + " " + config.publishTimeout().toSeconds() + " s)" : ""), cause);
    }

    static String firstLine(Throwable ex) {
        String m = String.valueOf(ex.getMessage());
        int nl = m.indexOf('\n');
        return ex.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
    }

    @Override
    public void close() {
        Producer<byte[]> p = producer;
        PulsarClient c = client;
        producer = null;
        client = null;
        pending.clear();
        pendingBytes = 0;
        if ( p != null )
            p.closeAsync();
        if ( c != null )
            PulsarClients.close(c, config.connectTimeout());
    }
}

package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamStatusCheckedException;
import io.nats.client.Message;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamState;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchReassembler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a dataset's patches back from its JetStream subject: whole (parts put together), in
 * stream order, each version once (a version not above the last one returned is dropped).
 * Consumers should still check that each patch's version is the one they expect next and that
 * its {@code cdc-prev} is the id of the patch they applied last: a gap means a patch is missing
 * (removed by the stream's limits, or sent to a sink's dead-letter directory).
 * <p>
 * Uses a JetStream ordered consumer (ephemeral, no acknowledgements, recreated by the client
 * when it falls out of order), so any number of readers can follow one subject independently.
 * Reading starts at the first message after {@code afterVersion}, found by bisection over the
 * stream's sequences; parts of a patch whose start was already removed are skipped.
 *
 * {@snippet :
 * try (Connection nc = Nats.connect("nats://127.0.0.1:4222");
 *      NatsPatchReader reader = new NatsPatchReader(nc, "FUSEKI_CDC_DS", "fuseki-cdc.ds", 0, Path.of("/tmp"))) {
 *     while (true) {
 *         Optional<PatchReassembler.Patch> p = reader.next(Duration.ofSeconds(5));
 *         if (p.isEmpty()) continue;
 *         try (InputStream in = p.get().open()) {
 *             RDFPatch patch = RDFPatchOps.read(in);   // text; binary: RDFPatchReaderBinary
 *             // apply it, checking version and prev
 *         }
 *     }
 * }
 * }
 */
public final class NatsPatchReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatsPatchReader.class);
    private static final long BUFFER_BYTES = 16L * 1024 * 1024;
    private static final int MIN_BATCH = 4;
    private static final int MAX_BATCH = 256;

    private final String stream;
    private final String subject;
    private final long startSequence;
    private final IterableConsumer consumer;
    private final PatchReassembler assembler;
    private boolean aligned;
    private Patch current;

    /**
     * @param afterVersion patches up to this version are skipped
     * @param tmpDir       where the parts of a large patch are put together
     */
    public NatsPatchReader(Connection connection, String stream, String subject, long afterVersion, Path tmpDir)
            throws IOException, JetStreamApiException {
        this.stream = stream;
        this.subject = subject;
        this.startSequence = afterVersion > 0 ? firstSequenceAfter(connection.jetStreamManagement(), stream, subject, afterVersion) : 0;
        OrderedConsumerConfiguration start = new OrderedConsumerConfiguration().filterSubject(subject);
        start = startSequence > 0 ? start.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(startSequence)
                                  : start.deliverPolicy(DeliverPolicy.All);
        OrderedConsumerContext occ = connection.getStreamContext(stream).createOrderedConsumer(start);
        // Bound what the client buffers: messages may be up to max_payload each. (A bound in
        // bytes, ConsumeOptions.batchBytes, stalls against nats-server 2.9 once messages are large.)
        int batch = (int)Math.max(MIN_BATCH, Math.min(MAX_BATCH, BUFFER_BYTES / Math.max(1, connection.getMaxPayload())));
        this.consumer = occ.iterate(ConsumeOptions.builder().batchSize(batch).build());
        this.assembler = new PatchReassembler(tmpDir, afterVersion);
    }

    /**
     * The next whole patch, waiting up to {@code timeout} for it. A large patch is in a temporary
     * file (see {@link Patch#open}) that is deleted at the next call or at {@link #close}.
     *
     * @return the patch, or empty if none completed in time
     * @throws IllegalStateException for a message that is not a fuseki-cdc patch message, or parts out of order
     */
    public Optional<Patch> next(Duration timeout) throws InterruptedException {
        releaseCurrent();
        Optional<TopicReader.Incoming> in = nextMessage(timeout);
        if ( in.isEmpty() )
            return Optional.empty();
        return switch (in.get()) {
            case TopicReader.PatchMessage m -> {
                current = m.patch();
                yield Optional.of(current);
            }
            case TopicReader.ForeignMessage f -> throw new IllegalStateException("Stream " + stream + ", subject " + subject + ", "
                                                                                 + f.position() + ": " + f.reason());
        };
    }

    /**
     * The next whole patch with its stream sequence, or the next message that cannot be part of
     * one, waiting up to {@code timeout}. The caller closes the patch.
     */
    public Optional<TopicReader.Incoming> nextMessage(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // A zero timeout still takes a message the client holds already (a follower gathering what is waiting).
        boolean tried = false;
        while ( true ) {
            long left = deadline - System.nanoTime();
            if ( left <= 0 && tried )
                return Optional.empty();
            tried = true;
            Message m;
            try {
                m = consumer.nextMessage(Duration.ofNanos(Math.max(left, 1_000_000)));
            } catch (JetStreamStatusCheckedException ex) {
                throw new IllegalStateException("Reading subject " + subject + " of stream " + stream + ": " + ex.getMessage(), ex);
            }
            if ( m == null )
                continue;  // the client may give up a wait early; the deadline decides
            long seq = m.metaData().streamSequence();
            String position = "stream sequence " + seq;
            Map<String, String> headers = NatsHeaders.fromNats(m.getHeaders());
            byte[] data = m.getData() == null ? new byte[0] : m.getData();
            if ( !headers.containsKey(PatchMessages.VERSION) )
                return Optional.of(new TopicReader.ForeignMessage(position, headers, data, "not a fuseki-cdc patch (no " + PatchMessages.VERSION + " header)"));
            if ( !aligned ) {
                // Start at a patch's first part: earlier ones of a patch may have been removed.
                if ( !"0".equals(headers.getOrDefault(PatchMessages.PART, "0")) ) {
                    LOG.debug("Stream {}: skipping message {} (part {} of version {}): its patch's first part is gone", stream, seq,
                              headers.get(PatchMessages.PART), headers.get(PatchMessages.VERSION));
                    continue;
                }
                aligned = true;
            }
            Optional<Patch> p;
            try {
                p = assembler.offer(headers, data);
            } catch (IllegalArgumentException ex) {
                return Optional.of(new TopicReader.ForeignMessage(position, headers, data, ex.getMessage()));
            }
            if ( p.isPresent() )
                return Optional.of(new TopicReader.PatchMessage(p.get(), position));
        }
    }

    /**
     * A stream sequence at or before the first message of {@code subject} with a version above
     * {@code afterVersion}, found by bisection (versions only grow along the subject), so that a
     * reader far into a long stream does not read it from the start. 0 when the stream is empty.
     */
    private static long firstSequenceAfter(JetStreamManagement jsm, String stream, String subject, long afterVersion)
            throws IOException, JetStreamApiException {
        StreamState state = jsm.getStreamInfo(stream).getStreamState();
        long lo = state.getFirstSequence(), hi = state.getLastSequence() + 1;
        if ( state.getMsgCount() == 0 )
            return 0;
        // Every message of the subject before lo has a version <= afterVersion.
        while ( lo < hi ) {
            long mid = lo + (hi - lo) / 2;
            MessageInfo m = nextOnSubject(jsm, stream, mid, subject);
            Long version = m == null || m.getSeq() >= hi ? null : versionOf(m);
            if ( version == null || version > afterVersion )
                hi = mid;
            else
                lo = m.getSeq() + 1;
        }
        return lo;
    }

    private static MessageInfo nextOnSubject(JetStreamManagement jsm, String stream, long seq, String subject) throws IOException {
        try {
            MessageInfo m = jsm.getNextMessage(stream, seq, subject);
            return m != null && m.isMessage() ? m : null;
        } catch (JetStreamApiException noneAfter) {
            return null;
        }
    }

    private static Long versionOf(MessageInfo m) {
        try {
            String v = NatsHeaders.fromNats(m.getHeaders()).get(PatchMessages.VERSION);
            return v == null ? null : Long.valueOf(v);
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    /** The stream sequence reading started at (0: the stream's start). */
    public long startSequence() {
        return startSequence;
    }

    /** The version of the last patch returned (or the starting point). */
    public long lastVersion() {
        return assembler.lastVersion();
    }

    private void releaseCurrent() {
        if ( current != null && current.file() != null ) {
            try {
                Files.deleteIfExists(current.file());
            } catch (IOException ex) {
                LOG.debug("Cannot delete {}: {}", current.file(), ex.toString());
            }
        }
        current = null;
    }

    @Override
    public void close() {
        releaseCurrent();
        assembler.close();
        try {
            consumer.close();
        } catch (Exception ex) {
            LOG.debug("Closing the consumer of {}: {}", subject, ex.toString());
        }
    }
}

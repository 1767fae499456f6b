package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import org.fusekicdc.core.internal.wire.MessagesAhead;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a dataset's patches to one JetStream subject, each acknowledged by the stream before
 * the next, so the subject holds versions 1, 2, 3, ... once each and in order.
 * <p>
 * Each message carries the {@link PatchMessages} headers and:
 * <ul>
 * <li>{@code Nats-Msg-Id}: the patch id, or for a patch split into parts the patch id, '-'
 *     and the part index. Within the stream's duplicate window the server stores a message
 *     sent twice (a retry after a lost acknowledgement) only once.</li>
 * <li>{@code Nats-Expected-Last-Subject-Sequence}: the stream sequence of the subject's last
 *     message as this sink knows it (0 for none). The server refuses a message that does not
 *     follow it, at any distance in time: it checks the stored messages, not a window.</li>
 * <li>{@code Nats-Expected-Last-Msg-Id}: the id of the previous message (absent for the very
 *     first), when the stream holds this subject only. The server keeps the stream's last message
 *     id in memory and, after a restart, recovers it only from messages within the duplicate
 *     window; when it then refuses a message although the subject ends where this sink expects,
 *     the sink sends that message once more without this header (the subject sequence still
 *     guards it), which sets the server's memory again.</li>
 * </ul>
 * {@link #open} reads the subject's last message and returns the version it completes: a part
 * that is not its patch's last means that patch is incomplete, so {@code open} returns the
 * version before it and the whole patch is sent again (parts already stored are dropped as
 * duplicates within the window; later, consumers start the patch over at its part 0).
 * <p>
 * Pipeline: when the stream holds this subject only, each stored message takes the next stream
 * sequence, so the expected last sequence of every message can be computed ahead. {@link #send}
 * then publishes without waiting (up to {@value #MAX_PENDING_BYTES} bytes unacknowledged) and the
 * runner keeps up to {@value #MAX_IN_FLIGHT} sends outstanding: the server still refuses any
 * message that does not follow the one before it, so a failure anywhere leaves the subject
 * ending at a message this sink sent, in order, and the runner's reopen re-reads it. Those
 * messages carry {@code Nats-Expected-Last-Sequence} (the stream's last sequence, which the
 * server holds in memory) instead of the subject sequence, whose check looks the subject's last
 * message up in the store for every message (on nats-server 2.9 a memory stream does so by
 * scanning the subject: the cost grows with the stream), and no {@code Nats-Expected-Last-Msg-Id}.
 * They are pipelined only while the subject's last message is the stream's last (known at open,
 * and after any message this sink stored); otherwise the next message goes one at a time,
 * guarded as above. A stream shared with other subjects gets one message at a time, as
 * described above.
 * <p>
 * Failures: anything a retry can cure (server down, timeout, disconnect, no stream responding,
 * the subject moved on, a stream full or limits changed) is transient, and the runner reopens
 * the sink, which re-reads the subject. So are a permission violation and a subject that
 * continues another log: they are not the fault of one patch, and a permanent failure would
 * send patch after patch to a dead-letter directory. Permanent: a configuration the server or
 * the stream rejects at open (authentication, the stream's subjects or settings, a subject
 * holding something else), and a message over the stream's size limit when
 * {@code cdc:maxMessageBytes} fixes the part size ("too large even when split"). Fenced: at open,
 * a subject ending with another patch at a version this server's log holds (a promoted leader
 * published; see {@link #open(PatchIds)}).
 */
public final class NatsSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSink.class);
    /** Sends the runner may have outstanding when the stream holds this subject only. */
    static final int MAX_IN_FLIGHT = 8;
    /** Patches per send when the sink is behind. */
    static final int MAX_BATCH = 500;
    /** Bytes published and not yet acknowledged, at most (a send waits for earlier acknowledgements beyond it). */
    static final long MAX_PENDING_BYTES = 32L * 1024 * 1024;

    private final NatsSinkConfig config;
    private final Path workDir;
    private final PermissionErrors permissionErrors;
    private final PublishFailures failures;

    private Connection connection;
    private JetStream js;
    private JetStreamManagement jsm;
    private PublishOptions publishOptions;
    private int partBytes;
    /** The stream holds our subject only, so its last message id is ours to expect. */
    private boolean guardByMsgId;

    // The subject's end, as far as this sink knows (set by open, advanced by each acknowledgement).
    /** Stream sequence of the subject's last message; 0 for none. */
    private long lastSeq;
    /** That message's Nats-Msg-Id, or null. */
    private String lastMsgId;
    /** The last version complete on the subject; -1 when the subject cannot tell. */
    private long lastVersion = -1;
    /** The id of that version's patch, or null. */
    private String lastPatchId;
    /** The id of a patch whose first parts end the subject, or null. */
    private String partialId;
    /** The subject's last message is the stream's last ({@link #lastSeq} is the stream's last sequence too). */
    private boolean streamEndsWithSubject;
    /** Pipelined publishes not yet acknowledged, oldest first, and their bytes. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private long pendingBytes;
    // The subject's end as acknowledged (the fields above run ahead while publishes are in
    // flight); restored when a publish fails, since the server then took nothing after it.
    private long ackedSeq;
    private String ackedMsgId;
    private long ackedVersion;
    private String ackedPatchId;
    private String ackedPartialId;

    public NatsSink(NatsSinkConfig config, Path workDir) {
        this.config = config;
        this.workDir = workDir;
        this.permissionErrors = new PermissionErrors(config);
        this.failures = new PublishFailures(config, permissionErrors);
        LOG.info("Dataset '{}': NATS sink '{}': {}", config.dataset(), config.sinkName(), config.describe());
    }

    public NatsSinkConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.sinkName();
    }

    /** The part size in use (valid after {@link #open}). */
    public int partBytes() {
        return partBytes;
    }

    @Override
    public long open() throws SinkException {
        return open(null);
    }

    /**
     * {@link #open()}, then, when {@code ids} are given, the fencing check: the subject's last
     * patch (or the patch it ends with parts of) must be this log's patch at that version. Once a
     * promoted leader has published, an old leader's next publish is refused by the stream (its
     * expected last subject sequence is stale), its runner reopens the sink, and this check finds
     * the new leader's patch where its own log holds another: the sink is fenced. A subject past
     * this log's head is the runner's check.
     */
    @Override
    public long open(PatchIds ids) throws SinkException {
        long there = connectAndReadSubject();
        if ( ids != null ) {
            try {
                checkNotSuperseded(ids);
            } catch (SinkException ex) {
                close();
                throw ex;
            }
        }
        return there;
    }

    /** Throws {@link SinkException#fenced} when the subject ends with a patch that is not this log's at its version. */
    private void checkNotSuperseded(PatchIds ids) throws SinkException {
        if ( lastVersion > 0 && lastPatchId != null )
            checkSameAt(ids, lastVersion, lastPatchId, "");
        if ( partialId != null && lastVersion >= 0 )
            checkSameAt(ids, lastVersion + 1, partialId, "the first parts of ");
    }

    private void checkSameAt(PatchIds ids, long version, String theirs, String what) throws SinkException {
        if ( version > ids.headVersion() )
            return;
        Optional<UUID> ours = ids.idAt(version);
        if ( ours.isPresent() && !ours.get().toString().equals(theirs) )
            throw SinkException.fenced("subject " + config.subject() + " (stream " + config.stream() + ") holds " + what + "version " + version
                                       + " as patch " + theirs + " where this server's log holds patch " + ours.get()
                                       + ": another server was promoted leader and published a different history", null);
    }

    private long connectAndReadSubject() throws SinkException {
        close();
        permissionErrors.clear();
        try {
            connection = Nats.connect(connectOptions());
        } catch (AuthenticationException ex) {
            throw SinkException.permanentFailure("the NATS server " + config.servers() + " refused the credentials (" + config.credentials() + "): "
                                                 + ex.getMessage() + ". Fix cdc:" + NatsSinkConfig.USER_ENV.name() + "/cdc:" + NatsSinkConfig.PASSWORD_ENV.name()
                                                 + ", cdc:" + NatsSinkConfig.TOKEN_ENV.name() + " or cdc:" + NatsSinkConfig.CREDS_FILE_ENV.name()
                                                 + " (or the variables they name), then resume the sink", ex);
        } catch (IOException ex) {
            throw SinkException.transientFailure("cannot connect to NATS at " + config.servers() + ": " + ex.getMessage()
                                                 + ". Check that the server runs and cdc:" + NatsSinkConfig.URL.name(), ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw SinkException.transientFailure("interrupted while connecting to NATS", ex);
        }
        try {
            jsm = connection.jetStreamManagement(JetStreamOptions.builder().requestTimeout(config.connectTimeout()).build());
            js = connection.jetStream(JetStreamOptions.builder().requestTimeout(config.publishTimeout()).build());
            publishOptions = PublishOptions.builder().expectedStream(config.stream()).build();
            NatsStream stream = new NatsStream(config, jsm);
            StreamInfo info = stream.ensure();
            guardByMsgId = stream.guardByMsgId();
            partBytes = stream.partSize(info.getConfiguration(), connection.getMaxPayload());
            long there = readSubjectEnd(info);
            LOG.info("Dataset '{}': NATS sink '{}' connected to {}; stream {} ({} messages), subject {} holds {}; parts up to {} bytes{}",
                     config.dataset(), name(), connection.getConnectedUrl(), config.stream(), info.getStreamState().getMsgCount(), config.subject(),
                     there == UNKNOWN ? "no message (older ones were removed: continuing from the sink's cursor)" : "up to version " + there,
                     partBytes, partialId != null ? "; version " + (there + 1) + " is incomplete there and is sent again whole" : "");
            return there;
        } catch (SinkException ex) {
            close();
            throw ex;
        } catch (JetStreamApiException ex) {
            close();
            int code = ex.getApiErrorCode();
            if ( code == JetStreamErrors.NOT_ENABLED || code == JetStreamErrors.NOT_ENABLED_FOR_ACCOUNT )
                throw SinkException.permanentFailure("JetStream is not enabled on " + config.servers() + " (" + ex.getMessage()
                                                     + "). Start nats-server with JetStream (-js) or enable it for the account, then resume the sink", ex);
            throw SinkException.transientFailure("setting up stream " + config.stream() + " for subject " + config.subject() + " failed: "
                                                 + ex.getMessage() + permissionErrors.hint(), ex);
        } catch (IOException | RuntimeException ex) {
            close();
            throw SinkException.transientFailure("setting up stream " + config.stream() + " for subject " + config.subject() + " failed: " + ex
                                                 + permissionErrors.hint()
                                                 + (String.valueOf(ex.getMessage()).contains("Timeout") ? " (is JetStream enabled on the server?)" : ""), ex);
        }
    }

    private Options connectOptions() {
        Options.Builder b = new Options.Builder()
            .servers(config.servers().toArray(String[]::new))
            .connectionName("fuseki-cdc " + config.dataset() + " " + name())
            .connectionTimeout(config.connectTimeout())
            // Recovery is the runner's: on a failure it closes the sink and opens it again, which
            // re-reads the subject. A connection that reconnected by itself, or queued messages
            // while disconnected, would only blur that.
            .noReconnect()
            .reconnectBufferSize(0)
            // Publishes queued together (a batch when behind) go out in one socket write, not one write each.
            .dontForceFlushOnRequest()
            .errorListener(permissionErrors);
        NatsSinkConfig.Credentials c = config.credentials();
        switch (c.kind()) {
            case USER_PASSWORD -> b.userInfo(c.user().toCharArray(), c.secret().toCharArray());
            case TOKEN -> b.token(c.secret().toCharArray());
            case CREDS_FILE -> b.authHandler(Nats.credentials(c.credsFile().toString()));
            case NONE -> {}
        }
        return b.build();
    }

    // ---- Where the subject ends

    /** Read the subject's last message: the version it completes, 0 for an empty stream, or UNKNOWN when older messages were removed. */
    private long readSubjectEnd(StreamInfo info) throws IOException, JetStreamApiException, SinkException {
        lastSeq = 0;
        lastMsgId = null;
        lastVersion = -1;
        lastPatchId = null;
        partialId = null;
        streamEndsWithSubject = false;
        MessageInfo last = lastMessage();
        if ( last == null ) {
            // Never a message on the subject, or they were all removed (age or size limits, a purge):
            // in the second case only the sink's cursor knows how far delivery got.
            if ( info.getStreamState().getLastSequence() == 0 ) {
                lastVersion = 0;
                streamEndsWithSubject = true;
                return 0;
            }
            return UNKNOWN;
        }
        Map<String, String> h = NatsHeaders.fromNats(last.getHeaders());
        String v = h.get(PatchMessages.VERSION);
        if ( v == null )
            throw SinkException.permanentFailure("the last message on subject " + config.subject() + " (stream " + config.stream() + " sequence "
                                                 + last.getSeq() + ") is not a fuseki-cdc patch: something else publishes there."
                                                 + " Give this dataset a subject of its own (cdc:" + NatsSinkConfig.SUBJECT.name() + ")", null);
        String dataset = h.get(PatchMessages.DATASET);
        if ( !config.dataset().equals(dataset) )
            throw SinkException.permanentFailure("subject " + config.subject() + " holds patches of dataset '" + dataset + "', not '" + config.dataset()
                                                 + "'. Give each dataset its own subject (cdc:" + NatsSinkConfig.SUBJECT.name() + ")", null);
        long version;
        int part, parts;
        try {
            version = Long.parseLong(v);
            part = Integer.parseInt(h.getOrDefault(PatchMessages.PART, "0"));
            parts = Integer.parseInt(h.getOrDefault(PatchMessages.PARTS, "1"));
        } catch (NumberFormatException ex) {
            throw SinkException.permanentFailure("the last message on subject " + config.subject() + " (stream sequence " + last.getSeq()
                                                 + ") has malformed fuseki-cdc headers " + h + ". Give this dataset a subject of its own", ex);
        }
        lastSeq = last.getSeq();
        lastMsgId = h.get(NatsHeaders.MSG_ID);
        // Read after the stream's state: a stream that grew meanwhile (another publisher) fails the next guard anyway.
        streamEndsWithSubject = lastSeq == info.getStreamState().getLastSequence();
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

    private MessageInfo lastMessage() throws IOException, JetStreamApiException {
        try {
            return jsm.getLastMessage(config.stream(), config.subject());
        } catch (JetStreamApiException ex) {
            if ( ex.getApiErrorCode() == JetStreamErrors.NO_MESSAGE_FOUND )
                return null;
            throw ex;
        }
    }

    // ---- Delivery

    /** Several sends in flight only when every stored message takes the next stream sequence (the stream is this subject's alone). */
    @Override
    public int maxInFlight() {
        return guardByMsgId ? MAX_IN_FLIGHT : 1;
    }

    @Override
    public int maxBatch() {
        return guardByMsgId ? MAX_BATCH : 1;
    }

    /** A publish in flight: its acknowledgement, what it was, and the sequence it must get. */
    private static final class Pending {
        final CompletableFuture<PublishAck> ack;
        final long version;
        final String patchId, msgId;
        final int part, parts, bytes;
        final long expectedSeq;
        final long deadline;
        boolean settled;

        Pending(CompletableFuture<PublishAck> ack, long version, String patchId, String msgId, int part, int parts, int bytes, long expectedSeq,
                long deadline) {
            this.ack = ack;
            this.version = version;
            this.patchId = patchId;
            this.msgId = msgId;
            this.part = part;
            this.parts = parts;
            this.bytes = bytes;
            this.expectedSeq = expectedSeq;
            this.deadline = deadline;
        }
    }

    /**
     * Publish the patches without waiting, each message expecting the stream sequence of the one
     * before it (computed ahead); the result waits for their acknowledgements. A patch the
     * subject ends with part of is sent whole first, waiting, as {@link #deliver} does (its parts
     * already stored come back as duplicates, which do not move the stream sequence).
     */
    @Override
    public Delivery send(List<PatchRecord> patches) throws SinkException {
        if ( !guardByMsgId )
            return Sink.super.send(patches);
        if ( connection == null )
            throw SinkException.transientFailure("the sink is not connected", null);
        List<Pending> mine = new ArrayList<>();
        try (MessagesAhead ahead = MessagesAhead.start(config.messageFormat(), patches, this::envelope, partBytes, workDir)) {
            for ( PatchRecord patch : patches ) {
                long version = patch.version();
                String id = patch.meta().id().toString();
                if ( partialId != null || lastVersion < 0 || !streamEndsWithSubject ) {
                    // The subject's end, and the stream's, must be settled before sequences can be computed ahead of them.
                    settleAll();
                    deliver(patch);
                    continue;
                }
                if ( version <= lastVersion )
                    continue;
                if ( version == lastVersion + 1 )
                    checkChain(patch, id);
                try {
                    ahead.messages(patch, (headers, value) -> mine.add(publishAsync(version, id, headers, value)));
                } catch (IOException ex) {
                    throw SinkException.logReadFailure(version, ex);
                }
                lastVersion = version;
                lastPatchId = id;
            }
        }
        return () -> {
            for ( Pending p : mine )
                settle(p);
        };
    }

    private Pending publishAsync(long version, String patchId, Map<String, String> patchHeaders, byte[] value) throws SinkException {
        int part = Integer.parseInt(patchHeaders.get(PatchMessages.PART));
        int parts = Integer.parseInt(patchHeaders.get(PatchMessages.PARTS));
        while ( pendingBytes + value.length > MAX_PENDING_BYTES && !pending.isEmpty() )
            settle(pending.peekFirst());
        if ( pending.isEmpty() ) {
            ackedSeq = lastSeq;
            ackedMsgId = lastMsgId;
            ackedVersion = lastVersion;
            ackedPatchId = lastPatchId;
            ackedPartialId = partialId;
        }
        String msgId = parts == 1 ? patchId : patchId + "-" + part;
        Headers headers = NatsHeaders.toNats(patchHeaders);
        headers.put(NatsHeaders.MSG_ID, msgId);
        headers.put(NatsHeaders.EXPECTED_LAST_SEQUENCE, Long.toString(lastSeq));
        CompletableFuture<PublishAck> ack;
        try {
            ack = js.publishAsync(config.subject(), headers, value, publishOptions);
        } catch (IllegalStateException ex) {
            throw SinkException.transientFailure(failures.where(part, parts) + ": the connection to " + config.servers() + " is lost ("
                                                 + ex.getMessage() + "); reconnecting", ex);
        } catch (IllegalArgumentException ex) {
            if ( String.valueOf(ex.getMessage()).contains("payload size") )
                throw failures.tooLarge(part, parts, value.length, "the server's max_payload " + connection.getMaxPayload(), ex);
            throw SinkException.permanentFailure(failures.where(part, parts) + ": the client refused the message: " + ex.getMessage(), ex);
        }
        Pending p = new Pending(ack, version, patchId, msgId, part, parts, value.length, lastSeq + 1, System.nanoTime() + config.publishTimeout().toNanos());
        pending.addLast(p);
        pendingBytes += value.length;
        // Ahead: the stream is this subject's alone, so the message gets the next sequence.
        lastSeq++;
        lastMsgId = msgId;
        return p;
    }

    /** Wait for every publish in flight. */
    private void settleAll() throws SinkException {
        while ( !pending.isEmpty() )
            settle(pending.peekFirst());
    }

    /** Wait for {@code p} and every publish before it; a failure abandons them all (the runner reopens the sink). */
    private void settle(Pending p) throws SinkException {
        while ( !p.settled ) {
            Pending first = pending.pollFirst();
            if ( first == null )
                throw SinkException.transientFailure("version " + p.version + ": its publish was abandoned after an earlier failure", null);
            first.settled = true;
            pendingBytes -= first.bytes;
            try {
                PublishAck ack = Acknowledgements.await(first.ack, connection, first.deadline);
                if ( ack.getSeqno() != first.expectedSeq )
                    throw SinkException.transientFailure(failures.where(first.part, first.parts) + ": version " + first.version
                                                         + " was stored at stream sequence " + ack.getSeqno() + ", not " + first.expectedSeq
                                                         + (ack.isDuplicate() ? " (a duplicate of an earlier copy)" : "") + "; re-reading the subject", null);
                ackedSeq = first.expectedSeq;
                ackedMsgId = first.msgId;
                if ( first.part + 1 == first.parts ) {
                    ackedVersion = first.version;
                    ackedPatchId = first.patchId;
                    ackedPartialId = null;
                } else {
                    ackedPartialId = first.patchId;
                }
            } catch (JetStreamApiException ex) {
                throw abandon(failures.failure(first.part, first.parts, first.bytes, ex, first.expectedSeq - 1, null));
            } catch (IOException ex) {
                throw abandon(failures.failure(first.part, first.parts, ex));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw abandon(SinkException.transientFailure(failures.where(first.part, first.parts) + ": interrupted while waiting for the acknowledgement", ex));
            } catch (IllegalStateException ex) {
                throw abandon(SinkException.transientFailure(failures.where(first.part, first.parts) + ": the connection to " + config.servers() + " is lost ("
                                                             + ex.getMessage() + "); reconnecting", ex));
            } catch (SinkException ex) {
                throw abandon(ex);
            }
        }
    }

    /**
     * After a failed publish nothing after it counts: forget what is in flight, and go back to
     * where the subject ends as acknowledged (the server refuses every message that does not
     * follow the one before, so it took nothing after the failed one). A transient failure
     * reopens the sink, which re-reads the subject anyway.
     */
    private SinkException abandon(SinkException ex) {
        pending.forEach(p -> p.settled = true);
        pending.clear();
        pendingBytes = 0;
        lastSeq = ackedSeq;
        lastMsgId = ackedMsgId;
        lastVersion = ackedVersion;
        lastPatchId = ackedPatchId;
        partialId = ackedPartialId;
        return ex;
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        if ( connection == null )
            throw SinkException.transientFailure("the sink is not connected", null);
        settleAll();
        long version = patch.version();
        String id = patch.meta().id().toString();
        if ( lastVersion >= 0 && version <= lastVersion ) {
            LOG.debug("Dataset '{}': NATS sink '{}': subject {} already holds version {} (patch {})", config.dataset(), name(), config.subject(), version, id);
            return;
        }
        if ( lastVersion >= 0 && version == lastVersion + 1 )
            checkChain(patch, id);
        try {
            config.messageFormat().messages(patch, envelope(patch), partBytes, workDir, (headers, value) -> publish(id, headers, value));
        } catch (IOException ex) {
            throw SinkException.logReadFailure(version, ex);
        }
        lastVersion = version;
        lastPatchId = id;
        partialId = null;
    }

    /**
     * The subject must continue this log: the patch follows the subject's last one, or the
     * subject ends with its first parts. Otherwise the subject belongs to another log (the log
     * was replaced, or two servers share it); that is not this patch's fault, so it is not
     * permanent (which could send patch after patch to the dead-letter directory): the sink
     * keeps retrying, and says why, until the subject is fixed.
     */
    private void checkChain(PatchRecord patch, String id) throws SinkException {
        UUID prev = patch.meta().prevId();
        String prevId = prev == null ? null : prev.toString();
        if ( partialId != null ? !partialId.equals(id) : lastPatchId != null && !lastPatchId.equals(prevId) )
            throw SinkException.transientFailure("subject " + config.subject() + " ends with version " + lastVersion
                                                 + (partialId != null ? " and part of patch " + partialId + ", but this log's next patch is " + id
                                                                      : " as patch " + lastPatchId + ", but this log's version " + lastVersion + " is patch " + prevId)
                                                 + ": the subject holds another log's patches (the change log was replaced, or another server publishes there)."
                                                 + " Point cdc:" + NatsSinkConfig.SUBJECT.name() + " at a subject of its own, or purge this one", null);
    }

    private void publish(String patchId, Map<String, String> patchHeaders, byte[] value) throws SinkException {
        int part = Integer.parseInt(patchHeaders.get(PatchMessages.PART));
        int parts = Integer.parseInt(patchHeaders.get(PatchMessages.PARTS));
        String msgId = parts == 1 ? patchId : patchId + "-" + part;
        boolean expectMsgId = guardByMsgId && lastMsgId != null;
        while ( true ) {
            Headers headers = NatsHeaders.toNats(patchHeaders);
            headers.put(NatsHeaders.MSG_ID, msgId);
            headers.put(NatsHeaders.EXPECTED_LAST_SUBJECT_SEQUENCE, Long.toString(lastSeq));
            if ( expectMsgId )
                headers.put(NatsHeaders.EXPECTED_LAST_MSG_ID, lastMsgId);
            try {
                PublishAck ack = Acknowledgements.publishAndWait(js, connection, config, headers, value, publishOptions);
                // A duplicate was stored before (a retry of a message whose acknowledgement was lost):
                // the subject's end moves only if that copy lies beyond what this sink knew.
                if ( !ack.isDuplicate() || ack.getSeqno() > lastSeq ) {
                    lastSeq = ack.getSeqno();
                    lastMsgId = msgId;
                }
                // Just stored: the stream ends with it.
                if ( !ack.isDuplicate() )
                    streamEndsWithSubject = true;
                return;
            } catch (JetStreamApiException ex) {
                if ( ex.getApiErrorCode() == JetStreamErrors.WRONG_LAST_MSG_ID && expectMsgId && subjectEndsWhereExpected() ) {
                    LOG.info("Dataset '{}': NATS sink '{}': stream {} does not remember its last message id ({}; after a restart the server recovers it only"
                             + " from messages within the duplicate window) though subject {} ends with message {} as expected; sending {} guarded by the subject sequence",
                             config.dataset(), name(), config.stream(), ex.getErrorDescription(), config.subject(), lastMsgId, msgId);
                    expectMsgId = false;
                    continue;
                }
                throw failures.failure(part, parts, value.length, ex, lastSeq, lastMsgId);
            } catch (IOException ex) {
                throw failures.failure(part, parts, ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw SinkException.transientFailure(failures.where(part, parts) + ": interrupted while waiting for the acknowledgement", ex);
            } catch (IllegalStateException ex) {
                throw SinkException.transientFailure(failures.where(part, parts) + ": the connection to " + config.servers() + " is lost ("
                                                     + ex.getMessage() + "); reconnecting", ex);
            } catch (IllegalArgumentException ex) {
                if ( String.valueOf(ex.getMessage()).contains("payload size") )
                    throw failures.tooLarge(part, parts, value.length, "the server's max_payload " + connection.getMaxPayload(), ex);
                throw SinkException.permanentFailure(failures.where(part, parts) + ": the client refused the message: " + ex.getMessage(), ex);
            }
        }
    }

    /** Whether the subject's last message is still the one this sink wrote last. */
    private boolean subjectEndsWhereExpected() {
        try {
            MessageInfo last = lastMessage();
            return last != null && last.getSeq() == lastSeq && lastMsgId.equals(NatsHeaders.fromNats(last.getHeaders()).get(NatsHeaders.MSG_ID));
        } catch (IOException | JetStreamApiException | RuntimeException ex) {
            return false;
        }
    }

    @Override
    public void close() {
        abandon(null);
        Connection c = connection;
        connection = null;
        js = null;
        jsm = null;
        if ( c == null )
            return;
        try {
            c.close();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            LOG.debug("closing NATS connection: {}", ex.toString());
        }
    }

    /** The CloudEvents headers of the patch's messages, when configured. */
    private Map<String, String> envelope(PatchRecord patch) {
        return config.cloudEvents().map(ce -> ce.binaryHeaders(CloudEvents.Binding.NATS, patch, config.messageFormat())).orElse(Map.of());
    }
}

package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.Headers;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
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
 * Failures: anything a retry can cure (server down, timeout, disconnect, no stream responding,
 * the subject moved on, a stream full or limits changed) is transient, and the runner reopens
 * the sink, which re-reads the subject. So are a permission violation and a subject that
 * continues another log: they are not the fault of one patch, and a permanent failure would
 * send patch after patch to a dead-letter directory. Permanent: a configuration the server or
 * the stream rejects at open (authentication, the stream's subjects or settings, a subject
 * holding something else), and a message over the stream's size limit when
 * {@code cdc:maxMessageBytes} fixes the part size ("too large even when split").
 */
public final class NatsSink implements Sink {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSink.class);

    // JetStream API error codes (nats-server errors.json).
    static final int ERR_NO_MESSAGE_FOUND = 10037;
    static final int ERR_MESSAGE_TOO_LARGE = 10054;
    static final int ERR_STREAM_NAME_IN_USE = 10058;
    static final int ERR_STREAM_NOT_FOUND = 10059;
    static final int ERR_STREAM_NOT_MATCH = 10060;
    static final int ERR_SUBJECT_OVERLAP = 10065;
    static final int ERR_WRONG_LAST_MSG_ID = 10070;
    static final int ERR_WRONG_LAST_SEQUENCE = 10071;
    static final int ERR_NOT_ENABLED = 10076;
    static final int ERR_NOT_ENABLED_FOR_ACCOUNT = 10039;

    /** How often a wait for an acknowledgement checks that the connection is still up. */
    private static final long CONNECTION_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Room left for headers below the server's and the stream's message size limits, beyond the largest headers we send. */
    private static final int HEADER_SLACK = 256;

    private final NatsSinkConfig config;
    private final Path workDir;
    private final PermissionErrors permissionErrors = new PermissionErrors();

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

    public NatsSink(NatsSinkConfig config, Path workDir) {
        this.config = config;
        this.workDir = workDir;
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
            StreamInfo info = ensureStream();
            partBytes = partSize(info.getConfiguration());
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
            if ( code == ERR_NOT_ENABLED || code == ERR_NOT_ENABLED_FOR_ACCOUNT )
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

    // ---- The stream

    private StreamInfo ensureStream() throws IOException, JetStreamApiException, SinkException {
        String stream = config.stream(), subject = config.subject();
        StreamInfo info = streamInfo();
        if ( info == null ) {
            List<String> capturing = jsm.getStreamNames(subject);
            if ( !capturing.isEmpty() )
                throw SinkException.permanentFailure("subject " + subject + " is stored by stream " + capturing.get(0) + ", and stream " + stream
                                                     + " does not exist. Set cdc:" + NatsSinkConfig.STREAM.name() + " \"" + capturing.get(0)
                                                     + "\" to publish into that stream, or choose another cdc:" + NatsSinkConfig.SUBJECT.name(), null);
            if ( !config.createStream() )
                throw SinkException.permanentFailure("stream " + stream + " does not exist and cdc:" + NatsSinkConfig.CREATE_STREAM.name()
                                                     + " is false. Create it (nats stream add " + stream + " --subjects " + subject
                                                     + ") or set cdc:" + NatsSinkConfig.CREATE_STREAM.name() + " true", null);
            try {
                info = jsm.addStream(streamConfiguration());
                LOG.info("Dataset '{}': NATS sink '{}' created stream {} for subject {} ({} storage, {} replica(s), duplicate window {}, max age {})",
                         config.dataset(), name(), stream, subject, config.storage(), config.replicas(), config.duplicateWindow(),
                         config.maxAge() == null ? "none" : config.maxAge());
            } catch (JetStreamApiException ex) {
                if ( ex.getApiErrorCode() == ERR_SUBJECT_OVERLAP )
                    throw SinkException.permanentFailure("cannot create stream " + stream + ": subject " + subject
                                                         + " overlaps the subjects of another stream (" + ex.getErrorDescription()
                                                         + "). Set cdc:" + NatsSinkConfig.STREAM.name() + " to that stream, or choose another cdc:"
                                                         + NatsSinkConfig.SUBJECT.name(), ex);
                if ( ex.getApiErrorCode() != ERR_STREAM_NAME_IN_USE )
                    throw ex;
                // Created meanwhile by someone else: check it like any existing stream.
                info = streamInfo();
                if ( info == null )
                    throw ex;
            }
        }
        checkStream(info.getConfiguration());
        return info;
    }

    private StreamInfo streamInfo() throws IOException, JetStreamApiException {
        try {
            return jsm.getStreamInfo(config.stream());
        } catch (JetStreamApiException ex) {
            if ( ex.getApiErrorCode() == ERR_STREAM_NOT_FOUND )
                return null;
            throw ex;
        }
    }

    private StreamConfiguration streamConfiguration() {
        StreamConfiguration.Builder b = StreamConfiguration.builder()
            .name(config.stream())
            .description("fuseki-cdc: patches of dataset " + config.dataset())
            .subjects(config.subject())
            .storageType("memory".equals(config.storage()) ? StorageType.Memory : StorageType.File)
            .replicas(config.replicas())
            .retentionPolicy(RetentionPolicy.Limits)
            .discardPolicy(DiscardPolicy.Old)
            .duplicateWindow(config.duplicateWindow());
        if ( config.maxAge() != null )
            b.maxAge(config.maxAge());
        return b.build();
    }

    /** An existing stream must capture the subject and take acknowledged publishes; options written in the configuration must match it. */
    private void checkStream(StreamConfiguration sc) throws SinkException {
        String stream = config.stream(), subject = config.subject();
        List<String> subjects = sc.getSubjects();
        if ( subjects.stream().noneMatch(p -> NatsHeaders.covers(p, subject)) )
            throw SinkException.permanentFailure("stream " + stream + " exists but stores subjects " + subjects + ", not " + subject
                                                 + ". Add the subject to the stream (nats stream edit " + stream + " --subjects ...), set cdc:"
                                                 + NatsSinkConfig.SUBJECT.name() + " to a subject it stores, or set cdc:" + NatsSinkConfig.STREAM.name()
                                                 + " to another stream", null);
        if ( sc.getMirror() != null )
            throw problem("is a mirror of stream " + sc.getMirror().getName() + " and takes no publishes", "Point cdc:" + NatsSinkConfig.STREAM.name() + " at the origin stream");
        if ( sc.getSealed() )
            throw problem("is sealed and takes no publishes", "Point cdc:" + NatsSinkConfig.STREAM.name() + " at another stream");
        if ( sc.getNoAck() )
            throw problem("does not acknowledge publishes (no_ack), so the sink cannot know what it stored",
                          "Use a stream with acknowledgements (no_ack false)");
        if ( sc.getRetentionPolicy() == RetentionPolicy.WorkQueue )
            throw problem("has work-queue retention: a message is removed once one consumer takes it, so followers would miss patches"
                          + " and the sink could not tell which versions the stream holds", "Use limits retention");
        checkGiven(NatsSinkConfig.STREAM_STORAGE.name(), "memory".equals(config.storage()) ? StorageType.Memory : StorageType.File, sc.getStorageType(),
                   "storage cannot be changed on a stream; remove cdc:" + NatsSinkConfig.STREAM_STORAGE.name() + " or use another stream");
        checkGiven(NatsSinkConfig.STREAM_REPLICAS.name(), config.replicas(), sc.getReplicas(),
                   "nats stream edit " + stream + " --replicas " + config.replicas() + ", or remove cdc:" + NatsSinkConfig.STREAM_REPLICAS.name());
        checkGiven(NatsSinkConfig.DUPLICATE_WINDOW_SECONDS.name(), config.duplicateWindow(), sc.getDuplicateWindow(),
                   "nats stream edit " + stream + " --dupe-window " + config.duplicateWindow().toSeconds() + "s, or remove cdc:"
                   + NatsSinkConfig.DUPLICATE_WINDOW_SECONDS.name());
        Duration age = sc.getMaxAge() == null || sc.getMaxAge().isZero() ? null : sc.getMaxAge();
        if ( config.given().contains(NatsSinkConfig.STREAM_MAX_AGE.name()) && !java.util.Objects.equals(config.maxAge(), age) )
            throw problem("has max age " + (age == null ? "none" : age) + " but cdc:" + NatsSinkConfig.STREAM_MAX_AGE.name() + " is " + config.maxAge(),
                          "nats stream edit " + stream + " --max-age ..., or remove cdc:" + NatsSinkConfig.STREAM_MAX_AGE.name());
        if ( sc.getRetentionPolicy() == RetentionPolicy.Interest )
            LOG.warn("Dataset '{}': NATS sink '{}': stream {} has interest retention; messages go once every consumer has them, so a new follower cannot read history",
                     config.dataset(), name(), stream);
        if ( sc.getDiscardPolicy() == DiscardPolicy.New && (sc.getMaxBytes() > 0 || sc.getMaxMsgs() > 0 || sc.getMaxMsgsPerSubject() > 0) )
            LOG.warn("Dataset '{}': NATS sink '{}': stream {} refuses new messages when full (discard new); delivery stops (retrying) until room is made",
                     config.dataset(), name(), stream);
        guardByMsgId = subjects.size() == 1 && subjects.get(0).equals(subject);
        if ( !guardByMsgId )
            LOG.info("Dataset '{}': NATS sink '{}': stream {} stores more than subject {} ({}); Nats-Expected-Last-Msg-Id is stream-wide, so the chain is guarded by the subject's sequence only",
                     config.dataset(), name(), stream, subject, subjects);
    }

    private void checkGiven(String option, Object wanted, Object actual, String fix) throws SinkException {
        if ( config.given().contains(option) && !wanted.equals(actual) )
            throw problem("has " + describe(actual) + " but cdc:" + option + " asks for " + describe(wanted), fix);
    }

    private static String describe(Object v) {
        return v instanceof Duration d ? d.toSeconds() + " s" : String.valueOf(v);
    }

    private SinkException problem(String what, String fix) {
        return SinkException.permanentFailure("stream " + config.stream() + " " + what + ". " + fix, null);
    }

    /** Part size: the configured one if it fits, otherwise the largest that does. */
    private int partSize(StreamConfiguration sc) throws SinkException {
        long maxPayload = connection.getMaxPayload();
        long streamMax = sc.getMaximumMessageSize();
        long limit = streamMax > 0 ? Math.min(maxPayload, streamMax) : maxPayload;
        String limitText = streamMax > 0 && streamMax < maxPayload ? "stream " + config.stream() + "'s max_msg_size " + streamMax
                                                                    : "the server's max_payload " + maxPayload;
        int room = headerRoom();
        if ( config.maxMessageBytes() > 0 ) {
            if ( config.maxMessageBytes() + room > limit )
                throw SinkException.permanentFailure("cdc:" + NatsSinkConfig.MAX_MESSAGE_BYTES.name() + " is " + config.maxMessageBytes() + ", but " + limitText
                                                     + " leaves room for " + (limit - room) + " bytes of body beside the headers. Set it to at most "
                                                     + (limit - room) + ", or remove it to follow the limit", null);
            return config.maxMessageBytes();
        }
        long body = limit - room;
        if ( body < NatsSinkConfig.MIN_MESSAGE_BYTES )
            throw SinkException.permanentFailure(limitText + " leaves " + body + " bytes of body beside the headers; patches are cut into parts of at least "
                                                 + NatsSinkConfig.MIN_MESSAGE_BYTES + ". Raise it to at least " + (NatsSinkConfig.MIN_MESSAGE_BYTES + room), null);
        return (int)Math.min(body, Integer.MAX_VALUE - 16);
    }

    /** The serialized size of the largest headers this sink can send, plus some slack. */
    private int headerRoom() {
        String uuid = new UUID(0, 0).toString();
        Map<String, String> h = new LinkedHashMap<>();
        h.put(PatchMessages.CONTENT_TYPE, PatchRecord.BINARY);
        h.put(PatchMessages.ID, uuid);
        h.put(PatchMessages.PREV, uuid);
        h.put(PatchMessages.VERSION, Long.toString(Long.MAX_VALUE));
        h.put(PatchMessages.DATASET, config.dataset());
        h.put(PatchMessages.TIMESTAMP, "+1000000000-12-31T23:59:59.999999999Z");
        h.put(PatchMessages.PART, Integer.toString(Integer.MAX_VALUE));
        h.put(PatchMessages.PARTS, Integer.toString(Integer.MAX_VALUE));
        h.put(NatsHeaders.MSG_ID, uuid + "-" + Integer.MAX_VALUE);
        h.put(NatsHeaders.EXPECTED_LAST_MSG_ID, uuid + "-" + Integer.MAX_VALUE);
        h.put(NatsHeaders.EXPECTED_LAST_SUBJECT_SEQUENCE, Long.toUnsignedString(-1L));
        h.put(NatsHeaders.EXPECTED_STREAM, config.stream());
        return NatsHeaders.toNats(h).serializedLength() + HEADER_SLACK;
    }

    // ---- Where the subject ends

    /** Read the subject's last message: the version it completes, 0 for an empty stream, or UNKNOWN when older messages were removed. */
    private long readSubjectEnd(StreamInfo info) throws IOException, JetStreamApiException, SinkException {
        lastSeq = 0;
        lastMsgId = null;
        lastVersion = -1;
        lastPatchId = null;
        partialId = null;
        MessageInfo last = lastMessage();
        if ( last == null ) {
            // Never a message on the subject, or they were all removed (age or size limits, a purge):
            // in the second case only the sink's cursor knows how far delivery got.
            if ( info.getStreamState().getLastSequence() == 0 ) {
                lastVersion = 0;
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
            if ( ex.getApiErrorCode() == ERR_NO_MESSAGE_FOUND )
                return null;
            throw ex;
        }
    }

    // ---- Delivery

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        if ( connection == null )
            throw SinkException.transientFailure("the sink is not connected", null);
        long version = patch.version();
        String id = patch.meta().id().toString();
        if ( lastVersion >= 0 && version <= lastVersion ) {
            LOG.debug("Dataset '{}': NATS sink '{}': subject {} already holds version {} (patch {})", config.dataset(), name(), config.subject(), version, id);
            return;
        }
        if ( lastVersion >= 0 && version == lastVersion + 1 )
            checkChain(patch, id);
        PatchMessages.parts(patch, config.contentType(), partBytes, workDir, (headers, value) -> publish(id, headers, value));
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
                PublishAck ack = publishAndWait(headers, value);
                // A duplicate was stored before (a retry of a message whose acknowledgement was lost):
                // the subject's end moves only if that copy lies beyond what this sink knew.
                if ( !ack.isDuplicate() || ack.getSeqno() > lastSeq ) {
                    lastSeq = ack.getSeqno();
                    lastMsgId = msgId;
                }
                return;
            } catch (JetStreamApiException ex) {
                if ( ex.getApiErrorCode() == ERR_WRONG_LAST_MSG_ID && expectMsgId && subjectEndsWhereExpected() ) {
                    LOG.info("Dataset '{}': NATS sink '{}': stream {} does not remember its last message id ({}; after a restart the server recovers it only"
                             + " from messages within the duplicate window) though subject {} ends with message {} as expected; sending {} guarded by the subject sequence",
                             config.dataset(), name(), config.stream(), ex.getErrorDescription(), config.subject(), lastMsgId, msgId);
                    expectMsgId = false;
                    continue;
                }
                throw failure(part, parts, value.length, ex);
            } catch (IOException ex) {
                throw failure(part, parts, ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw SinkException.transientFailure(where(part, parts) + ": interrupted while waiting for the acknowledgement", ex);
            } catch (IllegalStateException ex) {
                throw SinkException.transientFailure(where(part, parts) + ": the connection to " + config.servers() + " is lost ("
                                                     + ex.getMessage() + "); reconnecting", ex);
            } catch (IllegalArgumentException ex) {
                if ( String.valueOf(ex.getMessage()).contains("payload size") )
                    throw tooLarge(part, parts, value.length, "the server's max_payload " + connection.getMaxPayload(), ex);
                throw SinkException.permanentFailure(where(part, parts) + ": the client refused the message: " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * Publish and wait for the stream's acknowledgement, up to the publish timeout, but no longer
     * than the connection lasts: a request whose connection dropped is never answered, and
     * waiting out the timeout would only delay the retry.
     */
    private PublishAck publishAndWait(Headers headers, byte[] value) throws JetStreamApiException, IOException, InterruptedException {
        CompletableFuture<PublishAck> ack = js.publishAsync(config.subject(), headers, value, publishOptions);
        long deadline = System.nanoTime() + config.publishTimeout().toNanos();
        try {
            while ( true ) {
                long left = deadline - System.nanoTime();
                if ( left <= 0 )
                    throw new IOException("Timeout or no response waiting for NATS JetStream server");
                try {
                    return ack.get(Math.min(left, CONNECTION_CHECK_NANOS), TimeUnit.NANOSECONDS);
                } catch (TimeoutException ex) {
                    if ( connection.getStatus() != Connection.Status.CONNECTED )
                        throw new IllegalStateException("connection " + connection.getStatus().toString().toLowerCase(java.util.Locale.ROOT)
                                                        + " while waiting for the acknowledgement");
                }
            }
        } catch (CancellationException ex) {
            throw new IOException("Timeout or no response waiting for NATS JetStream server", ex);
        } catch (ExecutionException ex) {
            Throwable cause = ex.getCause();
            // publishAsync wraps the checked exceptions of the acknowledgement in a RuntimeException.
            if ( !(cause instanceof CancellationException) && cause instanceof RuntimeException && cause.getCause() != null )
                cause = cause.getCause();
            if ( cause instanceof CancellationException )
                throw new IOException("Timeout or no response waiting for NATS JetStream server", cause);
            if ( cause instanceof JetStreamApiException jex )
                throw jex;
            if ( cause instanceof IOException iox )
                throw iox;
            if ( cause instanceof RuntimeException rex )
                throw rex;
            throw new IOException(cause);
        } finally {
            ack.cancel(false);
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

    private String where(int part, int parts) {
        return (parts > 1 ? "part " + (part + 1) + " of " + parts + " to " : "publishing to ") + "subject " + config.subject()
               + " (stream " + config.stream() + ")";
    }

    private SinkException failure(int part, int parts, int bytes, JetStreamApiException ex) {
        String where = where(part, parts);
        return switch (ex.getApiErrorCode()) {
            case ERR_WRONG_LAST_SEQUENCE -> SinkException.transientFailure(
                where + ": the subject no longer ends with the message this sink wrote last (stream sequence " + lastSeq + "; " + ex.getErrorDescription()
                + "). Another publisher writes to the subject, or the stream was changed; re-reading the subject. Give each dataset a subject of its own", ex);
            case ERR_WRONG_LAST_MSG_ID -> SinkException.transientFailure(
                where + ": the stream's last message is not the one this sink wrote last (" + lastMsgId + "; " + ex.getErrorDescription()
                + "); re-reading the subject", ex);
            case ERR_MESSAGE_TOO_LARGE -> tooLarge(part, parts, bytes, "stream " + config.stream() + "'s max_msg_size", ex);
            case ERR_STREAM_NOT_MATCH -> SinkException.transientFailure(
                where + ": the subject is no longer stored by stream " + config.stream() + " (" + ex.getErrorDescription() + "); re-checking the stream", ex);
            default -> SinkException.transientFailure(
                where + " failed: " + ex.getMessage() + ". Retrying; if it persists, check the stream (nats stream info " + config.stream() + ")", ex);
        };
    }

    private SinkException failure(int part, int parts, IOException ex) {
        String where = where(part, parts);
        String msg = String.valueOf(ex.getMessage());
        if ( msg.contains("503") || msg.contains("No Responders") )
            return SinkException.transientFailure(where + ": no stream answered (" + msg + "). Stream " + config.stream()
                                                  + " was deleted (it is created again on reconnect when cdc:" + NatsSinkConfig.CREATE_STREAM.name()
                                                  + " is true) or JetStream is unavailable; retrying", ex);
        if ( msg.contains("Timeout") )
            return SinkException.transientFailure(where + ": no acknowledgement within " + config.publishTimeout().toSeconds() + " s (cdc:"
                                                  + NatsSinkConfig.PUBLISH_TIMEOUT_SECONDS.name() + ")" + permissionErrors.hint()
                                                  + "; retrying (a message stored meanwhile is recognised, not stored twice)", ex);
        return SinkException.transientFailure(where + " failed: " + ex + "; retrying", ex);
    }

    /**
     * A message over a size limit. With parts sized by the sink, the limit changed since
     * {@link #open}: reopening sizes them again. With {@code cdc:maxMessageBytes} fixed, this
     * patch cannot be sent as configured: permanent.
     */
    private SinkException tooLarge(int part, int parts, int bytes, String limit, Exception ex) {
        String where = where(part, parts);
        if ( config.maxMessageBytes() == 0 )
            return SinkException.transientFailure(where + ": a message of " + bytes + " bytes plus headers exceeds " + limit
                                                  + ", which changed since the sink sized its parts; sizing them again", ex);
        return SinkException.permanentFailure(where + ": a message of " + bytes + " bytes plus headers exceeds " + limit + " (" + ex.getMessage()
                                              + "). Lower cdc:" + NatsSinkConfig.MAX_MESSAGE_BYTES.name() + " (now " + config.maxMessageBytes()
                                              + ") or remove it to follow the limit, or raise the limit", ex);
    }

    @Override
    public void close() {
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

    /** Remembers what the server reported about permissions: a publish it refuses is otherwise only a timeout. */
    private final class PermissionErrors implements ErrorListener {
        private volatile String last;

        void clear() {
            last = null;
        }

        String hint() {
            String l = last;
            return l == null ? "" : ". The server reported: " + l + ". Grant the NATS user permission to publish to " + config.subject()
                                    + " and to use the JetStream API ($JS.API.>), or change cdc:" + NatsSinkConfig.SUBJECT.name();
        }

        @Override
        public void errorOccurred(Connection conn, String error) {
            if ( error != null && error.toLowerCase(java.util.Locale.ROOT).contains("permission") )
                last = error;
            LOG.warn("Dataset '{}': NATS sink '{}': server error: {}", config.dataset(), name(), error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.debug("Dataset '{}': NATS sink '{}': connection exception: {}", config.dataset(), name(), exp.toString());
        }
    }
}

package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.PatchMessages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JetStream stream a NATS sink publishes into, as {@link NatsSink#open} sets it up: found, or
 * created when allowed; checked against the configuration (an existing stream must store the
 * subject and acknowledge publishes); and the size of the parts a patch is cut into, from the
 * stream's and the server's limits.
 */
final class NatsStream {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSink.class);
    /** Room left for headers below the server's and the stream's message size limits, beyond the largest headers we send. */
    private static final int HEADER_SLACK = 256;

    private final NatsSinkConfig config;
    private final JetStreamManagement jsm;
    private boolean guardByMsgId;

    NatsStream(NatsSinkConfig config, JetStreamManagement jsm) {
        this.config = config;
        this.jsm = jsm;
    }

    /** After {@link #ensure}: the stream holds the sink's subject only, so its last message id is the sink's to expect. */
    boolean guardByMsgId() {
        return guardByMsgId;
    }

    private String name() {
        return config.sinkName();
    }

    /** The stream's state, after creating it if allowed and needed; a permanent failure naming the fix when it cannot take this sink's patches. */
    StreamInfo ensure() throws IOException, JetStreamApiException, SinkException {
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
                         config.dataset(), config.sinkName(), stream, subject, config.storage(), config.replicas(), config.duplicateWindow(),
                         config.maxAge() == null ? "none" : config.maxAge());
            } catch (JetStreamApiException ex) {
                if ( ex.getApiErrorCode() == JetStreamErrors.SUBJECT_OVERLAP )
                    throw SinkException.permanentFailure("cannot create stream " + stream + ": subject " + subject
                                                         + " overlaps the subjects of another stream (" + ex.getErrorDescription()
                                                         + "). Set cdc:" + NatsSinkConfig.STREAM.name() + " to that stream, or choose another cdc:"
                                                         + NatsSinkConfig.SUBJECT.name(), ex);
                if ( ex.getApiErrorCode() != JetStreamErrors.STREAM_NAME_IN_USE )
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
            if ( ex.getApiErrorCode() == JetStreamErrors.STREAM_NOT_FOUND )
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
                     config.dataset(), config.sinkName(), stream);
        if ( sc.getDiscardPolicy() == DiscardPolicy.New && (sc.getMaxBytes() > 0 || sc.getMaxMsgs() > 0 || sc.getMaxMsgsPerSubject() > 0) )
            LOG.warn("Dataset '{}': NATS sink '{}': stream {} refuses new messages when full (discard new); delivery stops (retrying) until room is made",
                     config.dataset(), config.sinkName(), stream);
        guardByMsgId = subjects.size() == 1 && subjects.get(0).equals(subject);
        if ( !guardByMsgId )
            LOG.info("Dataset '{}': NATS sink '{}': stream {} stores more than subject {} ({}); Nats-Expected-Last-Msg-Id is stream-wide, so the chain is guarded by the subject's sequence only",
                     config.dataset(), config.sinkName(), stream, subject, subjects);
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
    int partSize(StreamConfiguration sc, long maxPayload) throws SinkException {
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
        h.put(PatchMessages.CONTENT_TYPE, config.contentType());
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
        config.cloudEvents().ifPresent(ce -> h.putAll(CloudEvents.binaryHeaders(CloudEvents.Binding.NATS,
            ce.attributes(uuid, Long.MAX_VALUE, "+1000000000-12-31T23:59:59.999999999Z", config.messageFormat()))));
        return NatsHeaders.toNats(h).serializedLength() + HEADER_SLACK;
    }
}

package org.fusekicdc.sink.nats;

import java.io.IOException;

import io.nats.client.JetStreamApiException;
import org.fusekicdc.core.sink.SinkException;

/**
 * What a failed publish of the NATS sink means: transient (the runner reopens the sink and
 * retries) or permanent, with the message part, the subject, the cause and the fix in the message.
 */
final class PublishFailures {
    private final NatsSinkConfig config;
    private final PermissionErrors permissionErrors;

    PublishFailures(NatsSinkConfig config, PermissionErrors permissionErrors) {
        this.config = config;
        this.permissionErrors = permissionErrors;
    }

    String where(int part, int parts) {
        return (parts > 1 ? "part " + (part + 1) + " of " + parts + " to " : "publishing to ") + "subject " + config.subject()
               + " (stream " + config.stream() + ")";
    }

    /**
     * @param lastSeq   the stream sequence the sink expected the subject to end with
     * @param lastMsgId the id of the message the sink expected the stream to end with
     */
    SinkException failure(int part, int parts, int bytes, JetStreamApiException ex, long lastSeq, String lastMsgId) {
        String where = where(part, parts);
        return switch (ex.getApiErrorCode()) {
            case JetStreamErrors.WRONG_LAST_SEQUENCE -> SinkException.transientFailure(
                where + ": the subject no longer ends with the message this sink wrote last (stream sequence " + lastSeq + "; " + ex.getErrorDescription()
                + "). Another publisher writes to the subject, or the stream was changed; re-reading the subject. Give each dataset a subject of its own", ex);
            case JetStreamErrors.WRONG_LAST_MSG_ID -> SinkException.transientFailure(
                where + ": the stream's last message is not the one this sink wrote last (" + lastMsgId + "; " + ex.getErrorDescription()
                + "); re-reading the subject", ex);
            case JetStreamErrors.MESSAGE_TOO_LARGE -> tooLarge(part, parts, bytes, "stream " + config.stream() + "'s max_msg_size", ex);
            case JetStreamErrors.STREAM_NOT_MATCH -> SinkException.transientFailure(
                where + ": the subject is no longer stored by stream " + config.stream() + " (" + ex.getErrorDescription() + "); re-checking the stream", ex);
            default -> SinkException.transientFailure(
                where + " failed: " + ex.getMessage() + ". Retrying; if it persists, check the stream (nats stream info " + config.stream() + ")", ex);
        };
    }

    SinkException failure(int part, int parts, IOException ex) {
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
     * {@link NatsSink#open}: reopening sizes them again. With {@code cdc:maxMessageBytes} fixed, this
     * patch cannot be sent as configured: permanent.
     */
    SinkException tooLarge(int part, int parts, int bytes, String limit, Exception ex) {
        String where = where(part, parts);
        if ( config.maxMessageBytes() == 0 )
            return SinkException.transientFailure(where + ": a message of " + bytes + " bytes plus headers exceeds " + limit
                                                  + ", which changed since the sink sized its parts; sizing them again", ex);
        return SinkException.permanentFailure(where + ": a message of " + bytes + " bytes plus headers exceeds " + limit + " (" + ex.getMessage()
                                              + "). Lower cdc:" + NatsSinkConfig.MAX_MESSAGE_BYTES.name() + " (now " + config.maxMessageBytes()
                                              + ") or remove it to follow the limit, or raise the limit", ex);
    }
}

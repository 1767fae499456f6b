package org.fusekicdc.sink.nats;

/** The JetStream API error codes the NATS sink acts on (nats-server's errors.json). */
final class JetStreamErrors {
    static final int NO_MESSAGE_FOUND = 10037;
    static final int MESSAGE_TOO_LARGE = 10054;
    static final int STREAM_NAME_IN_USE = 10058;
    static final int STREAM_NOT_FOUND = 10059;
    static final int STREAM_NOT_MATCH = 10060;
    static final int SUBJECT_OVERLAP = 10065;
    static final int WRONG_LAST_MSG_ID = 10070;
    static final int WRONG_LAST_SEQUENCE = 10071;
    static final int NOT_ENABLED = 10076;
    static final int NOT_ENABLED_FOR_ACCOUNT = 10039;

    private JetStreamErrors() {}
}

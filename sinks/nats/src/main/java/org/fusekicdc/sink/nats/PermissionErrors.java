package org.fusekicdc.sink.nats;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Remembers what the server reported about permissions: a publish it refuses is otherwise only a timeout. */
final class PermissionErrors implements ErrorListener {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSink.class);

    private final NatsSinkConfig config;
    private volatile String last;

    PermissionErrors(NatsSinkConfig config) {
        this.config = config;
    }

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
        LOG.warn("Dataset '{}': NATS sink '{}': server error: {}", config.dataset(), config.sinkName(), error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        LOG.debug("Dataset '{}': NATS sink '{}': connection exception: {}", config.dataset(), config.sinkName(), exp.toString());
    }
}

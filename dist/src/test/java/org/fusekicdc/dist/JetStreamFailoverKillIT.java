package org.fusekicdc.dist;

import java.io.IOException;
import java.time.Duration;
import java.util.TreeMap;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamState;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchMessages;

/**
 * {@link FailoverKillContract} on NATS JetStream: the server at {@code NATS_URL} (default
 * nats://127.0.0.1:4222), a fresh file stream per test holding one subject. JetStream has no
 * producer epochs: the stream's expected-last-sequence checks refuse a publish that does not
 * follow the subject's last message, and the sink's check of the subject's last patch against its
 * own log (at open, and again after any refused publish) fences the old leader.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class JetStreamFailoverKillIT extends FailoverKillContract {
    private static final String URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
    /** JetStream's error code for "no message found". */
    private static final int NO_MESSAGE_FOUND = 10037;

    @Override
    protected Topic newTopic() throws Exception {
        Connection nc;
        try {
            nc = Nats.connect(new Options.Builder().server(URL).connectionTimeout(Duration.ofSeconds(3)).errorListener(new io.nats.client.ErrorListener() {})
                                                   .build());
            nc.jetStreamManagement().getAccountStatistics();
        } catch (IOException | JetStreamApiException ex) {
            TestSupport.skipOrFail("NATS JetStream server not usable at " + URL + " (" + ex + "). Start one (nats-server -js) or set NATS_URL.");
            throw ex;
        }
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        JetStreamTopic topic = new JetStreamTopic(nc, "FUSEKI_CDC_FAILOVER_" + suffix, "fuseki-cdc.failover." + suffix);
        nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(topic.stream).subjects(topic.subject).storageType(StorageType.File).build());
        return topic;
    }

    private record JetStreamTopic(Connection nc, String stream, String subject) implements Topic {
        private String where() {
            return "cdc:url \"" + URL + "\" ; cdc:stream \"" + stream + "\" ; cdc:subject \"" + subject + "\" ; cdc:retryMaxMillis 1000 ";
        }

        @Override
        public String sink() {
            return "cdc:sink [ a cdc:NatsSink ; cdc:name \"replicas\" ; " + where() + "; cdc:acknowledgeWrites \"topic\" ] ;";
        }

        @Override
        public String follow(String moreOptions) {
            return "cdc:follow [ a cdc:JetStreamSubject ; " + where() + moreOptions + "] ;";
        }

        /** Every message on the subject, read one by one from the stream. */
        @Override
        public long versionsOnce() throws Exception {
            JetStreamManagement jsm = nc.jetStreamManagement();
            StreamState state = jsm.getStreamInfo(stream).getStreamState();
            TreeMap<Long, Integer> seen = new TreeMap<>();
            long seq = Math.max(1, state.getFirstSequence());
            while ( seq <= state.getLastSequence() ) {
                MessageInfo m;
                try {
                    m = jsm.getNextMessage(stream, seq, subject);
                } catch (JetStreamApiException ex) {
                    if ( ex.getApiErrorCode() == NO_MESSAGE_FOUND )
                        break;
                    throw ex;
                }
                String version = m.getHeaders() == null ? null : m.getHeaders().getFirst(PatchMessages.VERSION);
                if ( version != null )
                    seen.merge(Long.parseLong(version), 1, Integer::sum);
                seq = m.getSeq() + 1;
            }
            return eachOnce(seen);
        }

        @Override
        public void close() throws Exception {
            try {
                nc.jetStreamManagement().deleteStream(stream);
            } finally {
                nc.close();
            }
        }
    }
}

package org.fusekicdc.fuseki;

import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.Nats;

/**
 * A leader Fuseki publishing to NATS JetStream and followers following the subject: a subject and
 * stream of the test's own (the stream deleted on close), the leader's configuration
 * (config-examples/nats.ttl) and a follower's. Needs a NATS server with JetStream (NATS_URL, else
 * 127.0.0.1:4222); .ci/run starts one.
 */
final class JetStreamFollowing implements AutoCloseable {
    static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");

    final String subject;
    final String stream;
    final Connection nats;

    /** A subject and stream named after {@code name} and a unique suffix. */
    JetStreamFollowing(String name) throws IOException, InterruptedException {
        String id = UUID.randomUUID().toString().substring(0, 8);
        subject = "fuseki-cdc-test." + name + "." + id;
        stream = "FUSEKI_CDC_" + name.toUpperCase() + "_" + id.toUpperCase();
        nats = Nats.connect(NATS_URL);
    }

    String leaderConfig(Path dir) {
        return CdcFuseki.exampleConfig("nats.ttl", dir)
                        .replace("cdc:url \"nats://127.0.0.1:4222\"",
                                 "cdc:url \"" + NATS_URL + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"");
    }

    /**
     * A follower in {@code dir} with endpoints for queries, the change feed, live queries and
     * {@code endpoint}; {@code datasetOptions} each end with ";", {@code followOptions} each start with ";".
     */
    String followerConfig(Path dir, String endpoint, String datasetOptions, String followOptions) {
        return CdcFuseki.capturedDataset(dir, endpoint + """
                fuseki:endpoint [ fuseki:operation cdc:changes ; fuseki:name "changes" ] ;
                fuseki:endpoint [ fuseki:operation cdc:live ; fuseki:name "live" ] ;
            """, datasetOptions + """
                cdc:follow [ a cdc:JetStreamSubject ; cdc:url "%s" ; cdc:subject "%s" ; cdc:stream "%s" ;
                             cdc:leaderUrl "http://leader.example/ds" ; cdc:retryInitialMillis 50 ; cdc:retryMaxMillis 500 %s ] ;
            """.formatted(NATS_URL, subject, stream, followOptions));
    }

    @Override
    public void close() throws InterruptedException {
        try {
            nats.jetStreamManagement().deleteStream(stream);
        } catch (Exception ex) {
            // The test may have failed before the leader created it.
        }
        nats.close();
    }
}

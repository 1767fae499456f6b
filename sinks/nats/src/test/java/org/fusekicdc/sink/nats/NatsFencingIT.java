package org.fusekicdc.sink.nats;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.fusekicdc.sink.nats.NatsTesting.readSubject;
import static org.fusekicdc.sink.nats.NatsTesting.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import io.nats.client.Connection;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.contract.FencingContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failover on JetStream, with two servers' logs and sink runners on one subject: a promoted
 * follower publishes, and the old leader, still running or restarted, is fenced (its publish is
 * refused by the stream, and its sink finds another patch where its log holds its own) without
 * a message of its stored after the new leader's.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsFencingIT extends FencingContract {
    private static final SinkConfig TOPIC_ACK = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .withAcknowledgeWrites(SinkConfig.Acknowledge.DESTINATION, Duration.ofSeconds(5));

    private Connection nc;
    private String stream;
    private final String subject = unique("fuseki-cdc.fencing.");
    private final NatsSinkProvider provider = new NatsSinkProvider();

    @BeforeEach
    void connect() throws Exception {
        NatsTesting.requireServer();
        nc = NatsTesting.connect(URL);
        stream = unique("FUSEKI_CDC_IT_");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if ( nc == null )
            return;
        NatsTesting.deleteStream(nc, stream);
        nc.close();
    }

    @Test
    void anOldLeaderStillRunningIsFencedAtItsFirstPublishAfterTheNewLeaders() throws Exception {
        try (SinkRunner oldRunner = startOldLeadersSink()) {
            for ( int i = 1 ; i <= 3 ; i++ )
                write(oldLeader, "s" + i);
            await("the old leader publishes versions 1-3", STEP, () -> oldRunner.status().cursor() == 3);
            follow();

            // Promotion: the follower's dormant sink starts, and it writes.
            try (SinkRunner newRunner = startNewLeadersSink()) {
                write(promoted, "new4");
                await("the new leader publishes version 4", STEP, () -> newRunner.status().cursor() == 4);

                // The old leader, cut off from the load balancer but alive, commits one more write.
                write(oldLeader, "old4");
                await("the old leader is fenced", STEP, () -> oldFenced.get() != null);
                assertTrue(oldFenced.get().contains(newLog.idOf(4).toString()), oldFenced.get());
                assertEquals(SinkState.PAUSED, oldRunner.status().state());

                write(promoted, "new5");
                await("the new leader goes on", STEP, () -> newRunner.status().cursor() == 5);
            }
        }
        assertTopicHolds(5);
    }

    @Test
    void anOldLeaderRestartedAfterThePromotionIsFencedWithoutPublishing() throws Exception {
        publishTwoAndFollow();
        // The old leader's last writes never reached the subject (it died); its log reaches further than the new leader's.
        write(oldLeader, "old3");
        write(oldLeader, "old4");
        write(oldLeader, "old5");
        try (SinkRunner newRunner = startNewLeadersSink()) {
            write(promoted, "new3");
            await("the new leader publishes version 3", STEP, () -> newRunner.status().cursor() == 3);
        }
        // The old leader comes back: the new leader's version 3 fences it.
        restartOldLeadersSinkFencedAtVersion3().close();
        assertTopicHolds(3);
    }

    @Override
    protected SinkRunner runner(ChangeLog log, String server) {
        Sink sink = provider.create("ds", options("replicas", "url", URL, "stream", stream, "subject", subject), work.resolve(server + "-sink"));
        return new SinkRunner(log, sink, TOPIC_ACK);
    }

    @Override
    protected List<Published> published() throws Exception {
        return readSubject(nc, stream, subject).stream().map(m -> new Published(m.headers(), m.data())).toList();
    }
}

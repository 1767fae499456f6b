package org.fusekicdc.streams.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.fusekicdc.core.CdcException;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.streams.ContinuousQueryTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar fuseki-cdc-streams-<version>-app.jar [application.properties]}: runs the
 * configured continuous queries over the change topic until stopped (SIGTERM or Ctrl-C close
 * it cleanly; a crash is recovered from by the next start). Exit status 2 for a configuration
 * error, 1 when Kafka Streams stops with an error.
 */
public final class StreamsApp {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

    private StreamsApp() {}

    public static void main(String[] args) throws InterruptedException {
        if ( args.length > 1 ) {
            System.err.println("Usage: java -jar fuseki-cdc-streams-app.jar [application.properties]  (options also from FUSEKICDC_STREAMS_* variables)");
            System.exit(2);
        }
        StreamsAppConfig config;
        try {
            config = StreamsAppConfig.load(args.length == 1 ? Path.of(args[0]) : null, System.getenv());
        } catch (CdcException ex) {
            System.err.println("Configuration error: " + ex.getMessage());
            System.exit(2);
            return;
        }
        System.exit(run(config));
    }

    /** Run until the JVM is asked to stop (0) or Kafka Streams stops with an error (1). */
    static int run(StreamsAppConfig config) throws InterruptedException {
        LOG.info("Continuous queries {} over topic {} to topic {}; Kafka Streams {}", config.queries().stream().map(ContinuousQuery::name).toList(),
                 config.changeTopic(), config.stepTopic(), config.maskedStreamsProperties());
        LOG.info("Queries split by key over {} partition(s): {}", config.keyPartitions(),
                 config.keyPartitions() == 0 ? List.of() : List.copyOf(ContinuousQueryTopology.splitPlans(config.queries(), config.engine()).keySet()));
        Topology topology = ContinuousQueryTopology.build(config.changeTopic(), config.stepTopic(), config.queries(), config.engine(), config.wallClock(),
                                                          config.keyPartitions());
        CountDownLatch stopped = new CountDownLatch(1);
        int[] status = { 0 };
        try (KafkaStreams streams = new KafkaStreams(topology, config.streams())) {
            streams.setStateListener((now, before) -> {
                LOG.info("Kafka Streams: {} -> {}", before, now);
                if ( now == KafkaStreams.State.ERROR ) {
                    status[0] = 1;
                    stopped.countDown();
                }
                if ( now == KafkaStreams.State.NOT_RUNNING )
                    stopped.countDown();
            });
            streams.setUncaughtExceptionHandler(ex -> {
                LOG.error("Continuous queries stop: {}", ex.toString(), ex);
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            Thread hook = new Thread(() -> {
                // Leave the group: the other instances (or this one restarted) take its partitions at
                // once instead of waiting for its session and the rebalance to time out.
                streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                                          .withTimeout(Duration.ofSeconds(30)));
                stopped.countDown();
            }, "fuseki-cdc-streams-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            streams.start();
            stopped.await();
        }
        return status[0];
    }
}

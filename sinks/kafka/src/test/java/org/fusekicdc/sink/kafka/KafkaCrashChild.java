package org.fusekicdc.sink.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkRunner;
import org.fusekicdc.core.testing.ChildJvm;

/**
 * Child JVM of {@link KafkaCrashIT}: a captured TDB2 dataset with its change log and a Kafka
 * sink runner, as a server has them, and a write loop that never ends; the parent kills it.
 * Prints {@code READY v} (the log's version after start-up recovery) once writing starts.
 * <p>
 * Arguments: directory, bootstrap servers, topic, {@code large}: every {@code large}-th write is
 * a patch of several segments.
 */
public final class KafkaCrashChild {
    static final int MAX_MESSAGE_BYTES = 1024;
    static final int LARGE_QUADS = 80;

    private KafkaCrashChild() {}

    static Map<String, String> sinkOptions(String bootstrap, String topic) {
        Map<String, String> o = new HashMap<>();
        o.put("bootstrapServers", bootstrap);
        o.put("topic", topic);
        o.put("maxMessageBytes", Integer.toString(MAX_MESSAGE_BYTES));
        o.put("sendTimeoutSeconds", "10");
        return o;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String bootstrap = args[1];
        String topic = args[2];
        int large = Integer.parseInt(args[3]);

        ChildJvm.haltWhenParentExits();

        CapturedStore store = CapturedStore.open(dir, "ds");
        SinkRunner runner = store.runner(store.kafkaSink("kafka", sinkOptions(bootstrap, topic)),
                                         SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
        System.out.println("READY " + store.log.publishedVersion());
        System.out.flush();
        while ( true ) {
            long next = store.log.publishedVersion() + 1;
            if ( next % large == 0 )
                store.writeLarge("large" + next, LARGE_QUADS);
            else
                store.write((int)next);
            if ( runner.status().state() == org.fusekicdc.core.sink.SinkState.PAUSED )
                throw new IllegalStateException("sink paused: " + runner.status());
        }
    }
}

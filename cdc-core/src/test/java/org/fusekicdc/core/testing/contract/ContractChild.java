package org.fusekicdc.core.testing.contract;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.ChildJvm;
import org.fusekicdc.core.testing.Workload;

/**
 * Child JVM of the kill -9 clause of {@link SinkContract}: a captured TDB2 dataset, its change
 * log and a sink runner, as a server has them, and a write loop that never ends; the parent
 * kills it, or it halts itself right after the destination accepted a patch and before the
 * sink's cursor records it (so the next start must learn from the destination where to go on).
 * Every {@value #LARGE_EVERY}th transaction is large, so that a sink which splits
 * patches is also killed in the middle of one. Prints {@code READY v} (the log's version after
 * start-up recovery) once writing starts.
 * <p>
 * Arguments: store directory, provider class, round, {@code haltAfter} (halt once the version
 * {@code haltAfter} past the start is delivered; 0 for never), then the sink's options as
 * {@code name=value}.
 */
public final class ContractChild {
    static final int LARGE_EVERY = 7;
    static final int LARGE_QUADS = 80;

    private ContractChild() {}

    public static void main(String[] args) throws Exception {
        ChildJvm.haltWhenParentExits();
        ContractStore store = ContractStore.open(Path.of(args[0]));
        SinkProvider provider = (SinkProvider)Class.forName(args[1]).getConstructor().newInstance();
        int round = Integer.parseInt(args[2]);
        long haltAfter = Long.parseLong(args[3]);
        Map<String, String> options = new HashMap<>();
        for ( int i = 4 ; i < args.length ; i++ ) {
            int eq = args[i].indexOf('=');
            options.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Sink sink = store.sink(provider, SinkContract.SINK, options);
        if ( haltAfter > 0 )
            sink = new HaltingSink(sink, store.log.publishedVersion() + haltAfter);
        SinkRunner runner = new SinkRunner(store.log, sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
        runner.start();
        System.out.println("READY " + store.log.publishedVersion());
        System.out.flush();
        Workload workload = new Workload(round, "round" + round);
        while ( true ) {
            if ( (store.log.publishedVersion() + 1) % LARGE_EVERY == 0 )
                store.writeLarge("large" + round + "-" + store.log.publishedVersion(), LARGE_QUADS);
            else
                workload.step(store.dsg);
            if ( runner.status().state() == SinkState.PAUSED )
                throw new IllegalStateException("sink paused: " + runner.status());
        }
    }
}

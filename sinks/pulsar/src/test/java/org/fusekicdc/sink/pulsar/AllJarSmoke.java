package org.fusekicdc.sink.pulsar;

import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.internal.SinkRunner;

/**
 * The child JVM of {@link PulsarAllJarIT}: on a classpath of the -all jar, cdc-core and Jena
 * only, finds the Pulsar sink as the server does (ServiceLoader) and delivers {@code n}
 * transactions. Refers to nothing of the client, so that only the jar's copy can be used.
 * Arguments: work directory, service URL, topic, n.
 */
public final class AllJarSmoke {
    private AllJarSmoke() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int n = Integer.parseInt(args[3]);
        SinkProvider provider = ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
                                             .filter(p -> p.type().equals("PulsarSink")).findFirst()
                                             .orElseThrow(() -> new IllegalStateException("no PulsarSink provider on the classpath"));
        try {
            Class.forName("io.netty.channel.Channel");
            throw new IllegalStateException("unrelocated Netty on the classpath: the test would not show the jar is self-contained");
        } catch (ClassNotFoundException expected) {
            // Only the jar's relocated copy is there.
        }
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try (SinkRunner runner = new SinkRunner(log, provider.create("ds", new OptionValues("pulsar", Map.of("url", args[1], "topic", args[2])),
                                                                     dir.resolve("sink-work")), SinkConfig.DEFAULTS)) {
            runner.start();
            for ( int i = 1 ; i <= n ; i++ ) {
                int k = i;
                Txn.executeWrite(dsg, () -> dsg.add(NodeFactory.createURI("http://example/g"), NodeFactory.createURI("http://example/s" + k),
                                                    NodeFactory.createURI("http://example/p"), NodeFactory.createLiteralString("v" + k)));
            }
            long deadline = System.nanoTime() + 90_000_000_000L;
            while ( runner.status().cursor() < n ) {
                if ( System.nanoTime() > deadline )
                    throw new IllegalStateException("not delivered within 90 s: " + runner.status());
                Thread.sleep(100);
            }
            System.out.println("DELIVERED " + runner.status().cursor());
        } finally {
            dsg.close();
        }
        System.exit(0);
    }
}

package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.nats.client.Connection;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower catching up applies many of its leader's versions in one store transaction; its
 * JVM is killed in the middle of such a group ({@link FollowerCrashChild}), restarted, and
 * follows on. Afterwards its log holds every leader version once, with the leader's id and
 * previous id, and its data is the leader's. The leader writes its stream once for the class:
 * each case's follower reads it afresh (an ordered, ephemeral consumer) into its own directory.
 */
class FollowerGroupKillIT {
    private static final int VERSIONS = 400;

    @TempDir
    static Path leaderDir;
    @TempDir
    Path dir;
    private static String subject;
    private static String stream;
    private static final List<RecordMeta> leaderRecords = new ArrayList<>();
    private static Set<Quad> leaderQuads;
    private final List<Process> children = new ArrayList<>();

    @BeforeAll
    static void leaderWritesItsStream() throws Exception {
        NatsTesting.requireServer();
        String id = NatsTesting.unique("");
        subject = "fuseki-cdc-test.groupkill." + id;
        stream = "FUSEKI_CDC_TEST_GROUPKILL_" + id.toUpperCase();
        leaderQuads = writeLeader(leaderRecords);
    }

    @AfterEach
    void stopChildren() {
        children.forEach(Process::destroyForcibly);
    }

    @AfterAll
    static void deleteStream() throws Exception {
        if ( stream == null )
            return;
        try (Connection nc = NatsTesting.connect(URL)) {
            nc.jetStreamManagement().deleteStream(stream);
        } catch (Exception ex) {
            // Never created.
        }
    }

    @ParameterizedTest(name = "{0} (k={1})")
    @CsvSource({"midGroup, 5", "beforeStoreCommit, 0", "afterStoreCommit, 0"})
    void followerKilledInAGroupRestartsExact(String point, int k) throws Exception {
        Path work = dir.resolve("follower");
        String haltLine = runChild(work, point, k, FollowerCrashChild.HALT_STATUS);
        assertTrue(haltLine.startsWith("HALT " + point), "the child halted in a group: " + haltLine);
        long head = Long.parseLong(haltLine.replaceAll(".* head=(\\d+) .*", "$1"));
        long published = Long.parseLong(haltLine.replaceAll(".* published=(\\d+)$", "$1"));
        assertTrue(head - published >= 2, "several records were in doubt at the crash: " + haltLine);
        runChild(work, "none", 0, 0);

        DatasetGraph tdb = TDB2Factory.connectDataset(FollowerCrashChild.tdbDir(work).toString()).asDatasetGraph();
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(FollowerCrashChild.logDir(work), "ds"))) {
            CapturingDatasetGraph follower = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
            assertEquals(VERSIONS, log.headVersion(), "the follower's head");
            for ( long v = 1 ; v <= VERSIONS ; v++ )
                assertEquals(leaderRecords.get((int)v - 1), withoutTime(log.read(v).meta()), "version " + v + " is the leader's, once");
            assertEquals(leaderQuads, Txn.calculateRead(follower, () -> quads(follower)), "the follower's data is the leader's");
        } finally {
            TDBInternal.expel(tdb);
        }
    }

    /** The leader writes VERSIONS transactions that add and delete, through a NATS sink; returns its final quads. */
    private static Set<Quad> writeLeader(List<RecordMeta> records) throws Exception {
        DatasetGraph tdb = TDB2Factory.connectDataset(leaderDir.resolve("leader-tdb").toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(leaderDir.resolve("leader-changes"), "ds"));
        CapturingDatasetGraph leader = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(leaderDir.resolve("leader-spill")));
        try (SinkRunners sinks = new SinkRunners(log)) {
            sinks.add(new NatsSinkProvider().create("ds", new OptionValues("nats", Map.of("url", URL, "subject", subject, "stream", stream)),
                                                    leaderDir.resolve("leader-sink")), SinkConfig.DEFAULTS);
            sinks.start();
            for ( int i = 0 ; i < VERSIONS ; i++ ) {
                int txn = i;
                Txn.executeWrite(leader, () -> {
                    for ( int q = 0 ; q < 5 ; q++ )
                        leader.add(quad(txn, q));
                    // Deletes what an earlier version (often one in the same group on the follower) added: the group's net effect differs from its sum.
                    if ( txn >= 3 )
                        leader.delete(quad(txn - 3, txn % 5));
                });
            }
            TestSupport.await("the leader's sink delivers", Duration.ofSeconds(60), () -> sinks.status().get(0).cursor() >= VERSIONS);
            for ( long v = 1 ; v <= VERSIONS ; v++ )
                records.add(withoutTime(log.read(v).meta()));
            return Txn.calculateRead(leader, () -> quads(leader));
        } finally {
            leader.close();
            TDBInternal.expel(tdb);
        }
    }

    /** A follower keeps the leader's time to the millisecond; the rest must be equal. */
    private static RecordMeta withoutTime(RecordMeta m) {
        return new RecordMeta(m.version(), m.id(), m.prevId(), 0);
    }

    private static Quad quad(int txn, int q) {
        return Quad.create(NodeFactory.createURI("http://ex/g" + (txn % 3)), NodeFactory.createURI("http://ex/s" + txn),
                           NodeFactory.createURI("http://ex/p" + q), NodeFactory.createLiteralString("v" + txn + "/" + q));
    }

    private static Set<Quad> quads(DatasetGraph dsg) {
        Set<Quad> all = new HashSet<>();
        dsg.find().forEachRemaining(all::add);
        return all;
    }

    /** Run the child to its end; returns its HALT line (or DONE), after checking its exit status. */
    private String runChild(Path work, String point, int k, int expectedExit) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("log4j")).sorted()
              .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FollowerCrashChild.class.getName(), work.toString(), URL, subject, stream,
                           point, Integer.toString(k), Integer.toString(VERSIONS)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        String result = null;
        List<String> output = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ( (line = in.readLine()) != null ) {
                output.add(line);
                if ( line.startsWith("HALT ") || line.contains("one transaction") )
                    System.out.println("  [child " + point + "] " + line);
                if ( line.startsWith("HALT ") || line.equals("DONE") )
                    result = line;
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child exits");
        assertEquals(expectedExit, p.exitValue(), "child exit status (" + point + "); its output:\n" + String.join("\n", output));
        return result;
    }
}

package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configured continuous query whose steps go to a view graph and to NATS JetStream, in a
 * child-JVM Fuseki killed with SIGKILL while commits stream in, then started again: every
 * one-second window from the first write to the last is reported exactly once at the sink and
 * exactly once in the view graph, none skipped or doubled across the kill, each with the count
 * the change log says its window held. Needs a NATS server with JetStream (NATS_URL, else
 * 127.0.0.1:4222); .ci/run starts one.
 */
class ContinuousQueryKillIT {
    private static final String LAST_STEP = "https://w3id.org/fuseki-cdc#lastStep";
    private static final String COUNT = "http://example/count";

    @TempDir
    Path work;

    private final List<Process> children = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void killChildren() {
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void noStepIsLostOrDoubledAtTheSinkOrInTheViewAcrossAKill() throws Exception {
        String url = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-test." + id;
        String stream = "FUSEKI_CDC_TEST_" + id.toUpperCase();
        Connection nats;
        try {
            nats = Nats.connect(url);
        } catch (IOException ex) {
            TestSupport.skipOrFail("no NATS server at " + url + " (" + ex + "); ContinuousQueryKillIT needs one with JetStream.");
            return;
        }
        Path config = work.resolve("config.ttl");
        Files.writeString(config, CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory \"", """
            cdc:continuousQuery [
                    cdc:name "count" ;
                    cdc:query \"""PREFIX ex: <http://example/>
                        REGISTER RSTREAM <urn:q:count> AS CONSTRUCT { ex:window ex:count ?n }
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S STEP PT1S]
                        WHERE { { SELECT (COUNT(*) AS ?n) WHERE { WINDOW <urn:w> { ?s ex:reading ?v } } } }\""" ;
                    cdc:outputGraph <urn:view:count> ;
                    cdc:sink [ a cdc:NatsSink ; cdc:name "nats" ; cdc:url "%s" ; cdc:subject "%s" ; cdc:stream "%s" ]
                ] ;
                cdc:logDirectory \"""".formatted(url, subject, stream)));
        try (nats) {
            int port = startChild(config);
            Writer writer = new Writer(port);
            writer.start();
            Thread.sleep(2500);
            Process first = children.get(0);
            first.destroyForcibly();  // SIGKILL: no shutdown hook, no flush
            assertTrue(first.waitFor(10, TimeUnit.SECONDS));
            writer.stopAndJoin();
            port = startChild(config);
            writer = new Writer(port);
            writer.start();
            Thread.sleep(2500);
            writer.stopAndJoin();

            // The truth, from the change log: how many readings each window held.
            TreeMap<Long, Long> truth = new TreeMap<>();
            List<RDFPatch> feed = feed(port);
            for ( RDFPatch p : feed ) {
                if ( p.header().get("rsp-view") != null )
                    continue;
                long millis = java.time.Instant.parse(p.header().get("timestamp").getLiteralLexicalForm()).toEpochMilli();
                long[] readings = {0};
                p.apply(new RDFChangesBase() {
                    @Override
                    public void add(Node g, Node s, Node pr, Node o) {
                        if ( pr.getURI().equals("http://example/reading") )
                            readings[0]++;
                    }
                });
                truth.merge(Math.floorDiv(millis, 1000) + 1, readings[0], Long::sum);
            }
            long firstWindow = truth.firstKey();
            long lastWindow = truth.lastKey();
            int finalPort = port;
            TestSupport.await("the view graph reporting the window of the last write", Duration.ofSeconds(30),
                              () -> viewSteps(feed(finalPort)).lastKey() >= lastWindow);

            TreeMap<Long, Long> view = viewSteps(feed(port));
            List<Long> sinkSteps = new ArrayList<>();
            TreeMap<Long, Long> sink = new TreeMap<>();
            try (NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, work.resolve("tmp"))) {
                while ( sinkSteps.isEmpty() || sinkSteps.get(sinkSteps.size() - 1) < lastWindow ) {
                    Optional<PatchReassembler.Patch> m = reader.next(Duration.ofSeconds(30));
                    if ( m.isEmpty() )
                        throw new AssertionError("the sink has steps " + sinkSteps + ", not up to window " + lastWindow);
                    assertEquals("ds.count", m.get().headers().get(PatchMessages.DATASET));
                    JsonObject step = JSON.parse(new String(m.get().bytes(), StandardCharsets.UTF_8));
                    long number = step.get("step").getAsNumber().value().longValue();
                    sinkSteps.add(number);
                    var rows = step.get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray();
                    sink.put(number, rows.stream().filter(r -> r.getAsObject().get("predicate").getAsObject().get("value").getAsString().value().equals(COUNT))
                                         .mapToLong(r -> Long.parseLong(r.getAsObject().get("object").getAsObject().get("value").getAsString().value()))
                                         .findFirst().orElse(-1));
                }
            } finally {
                nats.jetStreamManagement().deleteStream(stream);
            }
            for ( int i = 1 ; i < sinkSteps.size() ; i++ )
                assertEquals(sinkSteps.get(i - 1) + 1, sinkSteps.get(i), "the sink's steps, once each and none skipped: " + sinkSteps);
            for ( long w = firstWindow ; w <= lastWindow ; w++ ) {
                long expected = truth.getOrDefault(w, 0L);
                assertEquals(expected, view.get(w), "view graph at window " + w + " (" + view + ")");
                assertEquals(expected, sink.get(w), "sink message of window " + w + " (" + sink + ")");
            }
        }
    }

    /**
     * The view's count after each step, from its commits in the change feed: one commit per step,
     * each recording the step number; the steps must follow each other without a gap or a repeat.
     */
    private static TreeMap<Long, Long> viewSteps(List<RDFPatch> feed) {
        TreeMap<Long, Long> out = new TreeMap<>();
        long[] current = {-1};
        long previous = -1;
        for ( RDFPatch p : feed ) {
            if ( p.header().get("rsp-view") == null )
                continue;
            long[] step = {-1};
            p.apply(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node pr, Node o) {
                    if ( pr.getURI().equals(COUNT) )
                        current[0] = Long.parseLong(o.getLiteralLexicalForm());
                    if ( pr.getURI().equals(LAST_STEP) )
                        step[0] = Long.parseLong(o.getLiteralLexicalForm());
                }
            });
            if ( previous >= 0 )
                assertEquals(previous + 1, step[0], "view commits record consecutive steps, none skipped or doubled");
            previous = step[0];
            out.put(step[0], current[0]);
        }
        return out;
    }

    /** Every patch of the change feed, page by page. */
    private List<RDFPatch> feed(int port) {
        List<RDFPatch> out = new ArrayList<>();
        String after = "0";
        try {
            while ( true ) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/ds/changes?after=" + after + "&limit=1000")).GET().build(),
                                                   HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                out.addAll(CdcFuseki.patches(r.body()));
                after = r.headers().firstValue("X-CDC-Last-Version").orElseThrow();
                if ( after.equals(r.headers().firstValue("X-CDC-Head-Version").orElseThrow()) )
                    return out;
            }
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Inserts one reading per request, one after the other, until stopped or the server is gone. */
    private final class Writer extends Thread {
        private final int port;
        private final AtomicBoolean stop = new AtomicBoolean();
        private int n;

        Writer(int port) {
            this.port = port;
            setDaemon(true);
        }

        @Override
        public void run() {
            while ( !stop.get() ) {
                String update = "INSERT DATA { <http://example/r" + UUID.randomUUID() + "> <http://example/reading> " + (n++) + " }";
                try {
                    http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/ds/update"))
                                         .header("Content-Type", "application/sparql-update")
                                         .POST(HttpRequest.BodyPublishers.ofString(update)).build(), HttpResponse.BodyHandlers.discarding());
                    Thread.sleep(20);  // a steady stream of commits, several per window
                } catch (IOException ex) {
                    return;  // the server was killed
                } catch (InterruptedException ex) {
                    return;
                }
            }
        }

        void stopAndJoin() throws InterruptedException {
            stop.set(true);
            join(10_000);
        }
    }

    private int startChild(Path config) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("log4j")).sorted()
              .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ContinuousQueryChild.class.getName(), config.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("PORT ") )
                        port.complete(Integer.parseInt(line.substring(5).trim()));
                    else if ( !line.isBlank() )
                        System.out.println("  [child] " + line);
                }
            } catch (IOException ex) {
                // The child was killed.
            }
            port.completeExceptionally(new AssertionError("the child Fuseki exited before serving"));
        });
        reader.setDaemon(true);
        reader.start();
        return port.get(60, TimeUnit.SECONDS);
    }
}

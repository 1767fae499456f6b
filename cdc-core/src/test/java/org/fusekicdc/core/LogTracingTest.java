package org.fusekicdc.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.RecordingSink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One change can be followed through the logs by dataset, version and patch id: capture, the log, the sink runner. */
class LogTracingTest {
    private static final Pattern VERSION = Pattern.compile("\\bversion (\\d+)\\b");

    @TempDir
    Path tmp;
    private final List<LogEvent> events = Collections.synchronizedList(new ArrayList<>());
    private AbstractAppender appender;
    private Level levelBefore;

    @BeforeEach
    void captureLogs() {
        appender = new AbstractAppender("tracing", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        appender.start();
        LoggerContext ctx = (LoggerContext)LogManager.getContext(false);
        LoggerConfig lc = ctx.getConfiguration().getLoggerConfig("org.fusekicdc");
        levelBefore = lc.getLevel();
        lc.setLevel(Level.DEBUG);
        lc.addAppender(appender, Level.DEBUG, null);
        ctx.updateLoggers();
    }

    @AfterEach
    void restoreLogs() {
        LoggerContext ctx = (LoggerContext)LogManager.getContext(false);
        LoggerConfig lc = ctx.getConfiguration().getLoggerConfig("org.fusekicdc");
        lc.removeAppender("tracing");
        lc.setLevel(levelBefore);
        ctx.updateLoggers();
        appender.stop();
    }

    @Test
    void everyLineAboutAChangeNamesTheDatasetTheVersionAndThePatch() {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "books"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(tmp.resolve("spill")));
        Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(:g :s :p 1)")));
        Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(:g :s :p 2)")));
        RecordingSink sink = new RecordingSink("files");
        sink.transientFailuresOnDeliver(1);
        sink.reject(2);
        try (SinkRunner runner = new SinkRunner(log, sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(5), Duration.ofMillis(20)))) {
            runner.start();
            await(() -> runner.status().state() == SinkState.PAUSED, "the sink paused on version 2");
        }
        String id1 = log.read(1).meta().id().toString();
        String id2 = log.read(2).meta().id().toString();
        log.close();

        List<String> aboutChanges = new ArrayList<>();
        for ( LogEvent e : List.copyOf(events) ) {
            String line = e.getMessage().getFormattedMessage();
            Matcher m = VERSION.matcher(line);
            // WARN and ERROR lines name a version when something went wrong with that change; DEBUG lines trace each change.
            boolean traced = line.contains(" committed (patch ") || line.contains(" delivered version ");
            if ( !m.find() || !(e.getLevel().isMoreSpecificThan(Level.WARN) || traced) )
                continue;
            aboutChanges.add(line);
            String id = m.group(1).equals("1") ? id1 : m.group(1).equals("2") ? id2 : null;
            assertTrue(line.startsWith("Dataset 'books': "), "names the dataset: " + line);
            assertTrue(id != null && line.contains("patch " + id), "names the patch of version " + m.group(1) + ": " + line);
        }
        assertTrue(aboutChanges.stream().anyMatch(l -> l.contains("version 1 committed")), "capture: " + aboutChanges);
        assertTrue(aboutChanges.stream().anyMatch(l -> l.contains("failed: opening the destination (next: version 1, patch " + id1)), "a transient failure: " + aboutChanges);
        assertTrue(aboutChanges.stream().anyMatch(l -> l.contains("delivered version 1")), "delivery: " + aboutChanges);
        assertTrue(aboutChanges.stream().anyMatch(l -> l.contains("paused: version 2")), "a permanent failure: " + aboutChanges);
        assertFalse(aboutChanges.isEmpty());
    }

    private static void await(BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( !c.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }
}

package org.fusekicdc.fuseki.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.OutgoingEntry;
import org.eclipse.jetty.websocket.core.exception.WebSocketTimeoutException;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.fuseki.config.ReplicaReadSettings;
import org.fusekicdc.fuseki.runtime.ReplicaLag;
import org.fusekicdc.fuseki.runtime.VersionWaits;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.live.LiveView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the live WebSocket asks of Jetty's session: when an idle connection is cut off, what a refused one gets, pongs. */
class LiveWebSocketTest {
    // The protocol alone: this engine has no change log to read earlier versions from (LiveAsOfIT covers them).
    private static final LiveReplay.Start NO_HISTORY = (query, view, version, datetime) -> {
        throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "no earlier versions in this test");
    };
    /** Continuous queries are served in LiveWebSocketIT, on a real server: here a windowed subscribe is refused as busy. */
    private static final java.util.function.Supplier<org.fusekicdc.fuseki.rsp.ContinuousQueries> NO_STREAMS = () -> {
        throw new LiveQueryException(LiveQueryException.Kind.BUSY, "no continuous queries in this test");
    };
    private static final WebSocketTimeoutException IDLE = new WebSocketTimeoutException("idle");

    @TempDir
    Path dir;
    private LiveQueryEngine engine;
    private VersionWaits versionWaits;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void engine() throws IOException {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        engine = new LiveQueryEngine(dsg, LiveConfig.DEFAULTS);
        versionWaits = new VersionWaits(dsg, () -> ReplicaLag.ofLeader(dsg, true, "STARTED"), new ReplicaReadSettings(Duration.ofMillis(200), 10, 0, 0));
    }

    @AfterEach
    void close() {
        engine.close();
        timer.shutdownNow();
    }

    /** A session whose writes complete when the test says so, and which keeps the idle-timeout listener. */
    private static final class Session extends CoreSession.Empty {
        final List<OutgoingEntry> unwritten = new CopyOnWriteArrayList<>();
        Predicate<WebSocketTimeoutException> idle;
        volatile CloseStatus closed;

        @Override
        public void sendFrame(OutgoingEntry entry) {
            unwritten.add(entry);
        }

        @Override
        public void addIdleTimeoutListener(Predicate<WebSocketTimeoutException> onIdleTimeout) {
            idle = onIdleTimeout;
        }

        @Override
        public boolean isOutputOpen() {
            return closed == null;
        }

        @Override
        public void close(int statusCode, String reason, Callback callback) {
            closed = new CloseStatus(statusCode, reason);
            callback.succeeded();
        }

        void writeAll() {
            List<OutgoingEntry> entries = List.copyOf(unwritten);
            unwritten.clear();
            entries.forEach(e -> e.getCallback().succeeded());
        }
    }

    private LiveWebSocket open(Session session, WebSocketCounts counts) {
        LiveWebSocket ws = new LiveWebSocket(NO_HISTORY, versionWaits, engine, NO_STREAMS, true, 10, "client", LiveView.ALL, counts, Runnable::run, timer, 60_000, Duration.ofSeconds(20));
        ws.onOpen(session, Callback.NOOP);
        return ws;
    }

    private static WebSocketCounts unlimited() {
        return new WebSocketCounts("ds", Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    @Test
    void aQuietConnectionOutlivesTheIdleTimeoutButOneWhoseWriteWaitsIsCutOff() {
        Session session = new Session();
        LiveWebSocket ws = open(session, unlimited());
        assertFalse(session.idle.test(IDLE), "nothing waits to be written: the connection stays");

        ws.onFrame(new Frame(OpCode.TEXT, "{\"publish\": {}}"), Callback.NOOP);
        assertEquals(1, session.unwritten.size(), "the error reply");
        assertTrue(session.idle.test(IDLE), "the client took none of the reply for the whole idle timeout: cut off");

        session.writeAll();
        assertFalse(session.idle.test(IDLE), "once written, quiet again");
    }

    @Test
    void aConnectionOverTheClientsLimitIsClosedWith1008AndEndsAtTheIdleTimeoutIfTheClientDoesNotAnswer() {
        WebSocketCounts counts = new WebSocketCounts("ds", 10, 1);
        open(new Session(), counts);
        Session refused = new Session();
        open(refused, counts);
        assertEquals(CloseStatus.POLICY_VIOLATION, refused.closed.getCode());
        assertTrue(refused.closed.getReason().contains("cdc:liveMaxPerClient"), refused.closed.getReason());
        assertTrue(refused.idle.test(IDLE), "no close from the client: the connection ends");
        assertEquals(1, counts.open(), "a refused connection is not counted");
    }

    @Test
    void aPingIsAnsweredWithAPongCarryingItsPayload() {
        Session session = new Session();
        LiveWebSocket ws = open(session, unlimited());
        ws.onFrame(new Frame(OpCode.PING, ByteBuffer.wrap(new byte[] {1, 2, 3})), Callback.NOOP);
        Frame pong = session.unwritten.get(0).getFrame();
        assertEquals(OpCode.PONG, pong.getOpCode());
        assertArrayEquals(new byte[] {1, 2, 3}, BufferUtil.toArray(pong.getPayload()));
    }

    @Test
    void aSubscribeAskingForAVersionNotHereInTimeGets503BehindNamingTheVersionHere() {
        Session session = new Session();
        LiveWebSocket ws = open(session, unlimited());
        long t0 = System.nanoTime();
        ws.onFrame(new Frame(OpCode.TEXT, "{\"subscribe\": {\"sparql\": \"ASK {}\", \"alias\": \"a\", \"minVersion\": 3}}"), Callback.NOOP);
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(200).toNanos(), "it waited the configured bound first");
        String reply = session.unwritten.get(0).getFrame().getPayloadAsUTF8();
        for ( String field : List.of("\"alias\" : \"a\"", "\"status_code\" : 503", "\"error\" : \"behind\"", "\"minVersion\" : 3", "\"version\" : 0",
                                     "\"behindAsked\" : 3", "\"lagVersions\" : 0", "\"role\" : \"leader\"") )
            assertTrue(reply.contains(field), field + " in " + reply);
        assertEquals(0, engine.subscriptionCount(), "nothing was registered");

        session.writeAll();
        ws.onFrame(new Frame(OpCode.TEXT, "{\"subscribe\": {\"sparql\": \"ASK {}\", \"minVersion\": \"3\"}}"), Callback.NOOP);
        String bad = session.unwritten.get(0).getFrame().getPayloadAsUTF8();
        assertTrue(bad.contains("bad_request") && bad.contains("minVersion"), bad);
    }
}

package org.fusekicdc.fuseki.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.OutgoingEntry;
import org.eclipse.jetty.websocket.core.exception.CloseException;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.fuseki.config.ReplicaReadSettings;
import org.fusekicdc.fuseki.runtime.ReplicaLag;
import org.fusekicdc.fuseki.runtime.VersionWaits;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.live.LiveView;

/**
 * JSON messages of the WebSocket protocol (docs/live-queries.md), any text a client sends, on
 * a real {@link LiveWebSocket} over a real live query engine. The connection answers each
 * message with protocol messages ({@code notification}, {@code unsubscribed}, or {@code error}
 * with a status and a sentence) or closes with a reason (text that is not UTF-8 is refused by
 * Jetty with its close code); nothing else escapes to Jetty's thread (which would close with a
 * bare server error); and once the connection ends, none of its subscriptions is left in the
 * engine.
 * <p>
 * Inputs: {@code src/test/resources/org/fusekicdc/fuseki/live/LiveMessagesFuzzTestInputs/}, one
 * message each. See docs/testing.md.
 */
class LiveMessagesFuzzTest {
    private static final Set<String> MESSAGE_TYPES = Set.of("notification", "unsubscribed", "error");

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "live-messages-fuzz-timer");
        t.setDaemon(true);
        return t;
    });
    private static final CapturingDatasetGraph DATASET = dataset();
    private static final LiveQueryEngine ENGINE = new LiveQueryEngine(DATASET, LiveConfig.DEFAULTS);
    // A subscribe asking for a version not here is refused at once: no message waits.
    private static final VersionWaits NO_WAIT = new VersionWaits(DATASET, () -> ReplicaLag.ofLeader(DATASET, true, "STARTED"),
                                                                 new ReplicaReadSettings(Duration.ZERO, 1, 0, 0));
    // The protocol alone: this engine has no change log to read earlier versions from (LiveAsOfIT covers them).
    private static final LiveReplay.Start NO_HISTORY = (query, view, version, datetime) -> {
        throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "no earlier versions in this test");
    };
    /** Continuous queries are served in LiveWebSocketIT, on a real server: here a windowed subscribe is refused as busy. */
    private static final java.util.function.Supplier<org.fusekicdc.fuseki.rsp.ContinuousQueries> NO_STREAMS = () -> {
        throw new LiveQueryException(LiveQueryException.Kind.BUSY, "no continuous queries in this test");
    };
    private static final WebSocketCounts CONNECTIONS = new WebSocketCounts("ds", Integer.MAX_VALUE, Integer.MAX_VALUE);

    private static CapturingDatasetGraph dataset() {
        try {
            Path dir = Files.createTempDirectory("live-messages-fuzz");
            ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds"));
            return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    @FuzzTest
    void everyMessageIsAnsweredAndNoSubscriptionOutlivesTheConnection(byte[] message) throws InterruptedException {
        RecordingSession session = new RecordingSession();
        LiveWebSocket ws = new LiveWebSocket(NO_HISTORY, NO_WAIT, ENGINE, NO_STREAMS, true, 10, "fuzz", LiveView.ALL, CONNECTIONS, Runnable::run, TIMER, 20_000, Duration.ofSeconds(20));
        ws.onOpen(session, Callback.NOOP);
        ws.onFrame(new Frame(OpCode.TEXT, ByteBuffer.wrap(message)), Callback.from(() -> {}, session::refused));
        ws.onClosed(CloseStatus.NORMAL_STATUS, Callback.NOOP);
        // The engine releases subscriptions on its own thread.
        TestSupport.await("no subscription left after the connection ended (" + ENGINE.subscriptionCount() + " left)", Duration.ofSeconds(10),
                          () -> ENGINE.subscriptionCount() == 0);
        session.frames.forEach(LiveMessagesFuzzTest::checkFrame);
        if ( session.failure != null )
            assertTrue(session.failure instanceof CloseException, () -> "a message failed with " + session.failure + ", not a close code");
    }

    /** What the connection sends; a failed frame is what Jetty turns into a close frame with the failure's code. */
    private static final class RecordingSession extends CoreSession.Empty {
        final List<Frame> frames = new CopyOnWriteArrayList<>();
        volatile Throwable failure;

        @Override
        public void sendFrame(OutgoingEntry entry) {
            Frame f = entry.getFrame();
            frames.add(new Frame(f.getOpCode(), f.hasPayload() ? ByteBuffer.wrap(BufferUtil.toArray(f.getPayload())) : null));
            entry.getCallback().succeeded();
        }

        @Override
        public void close(int statusCode, String reason, Callback callback) {
            frames.add(new CloseStatus(statusCode, reason).toFrame());
            callback.succeeded();
        }

        void refused(Throwable cause) {
            failure = cause;
        }
    }

    /** Every frame the server sent is a protocol message, a ping or a close. */
    private static void checkFrame(Frame frame) {
        switch ( frame.getOpCode() ) {
            case OpCode.TEXT -> checkMessage(frame.getPayloadAsUTF8());
            case OpCode.CLOSE -> assertTrue(frame.getPayloadLength() >= 2, "a close frame from the server carries its code");
            case OpCode.PING, OpCode.PONG -> {}
            default -> fail("the server sent a frame with opcode " + frame.getOpCode());
        }
    }

    private static void checkMessage(String text) {
        JsonObject m = JSON.parse(jenaReadable(text));
        assertEquals(1, m.keys().size(), () -> "one message per frame: " + text);
        String type = m.keys().iterator().next();
        assertTrue(MESSAGE_TYPES.contains(type), () -> "a message of an undocumented type: " + text);
        if ( type.equals("error") ) {
            JsonObject e = m.get("error").getAsObject();
            JsonValue status = e.get("status_code");
            assertTrue(status != null && status.isNumber(), () -> "an error without its status: " + text);
            assertTrue(e.get("error_description") != null && e.get("error_description").isString(), () -> "an error without a description: " + text);
        }
    }

    /** The JSON escapes for backspace and form feed, which Jena writes but its reader refuses, as hexadecimal escapes. */
    private static String jenaReadable(String json) {
        return json.replaceAll("(?<!\\\\)((?:\\\\\\\\)*)\\\\f", "$1\\\\u000C").replaceAll("(?<!\\\\)((?:\\\\\\\\)*)\\\\b", "$1\\\\u0008");
    }
}

package org.fusekicdc.fuseki.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.fusekicdc.core.capture.CaptureConfig;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveView;

/**
 * JSON messages of the WebSocket protocol (docs/live-queries.md), any text a client sends, on
 * a real {@link LiveWebSocket} over a real live query engine. The connection answers each
 * message with protocol messages ({@code notification}, {@code unsubscribed}, or {@code error}
 * with a status and a sentence) or closes with a reason; nothing escapes to Jetty's thread (an
 * exception there stops the connection reading, with no answer); and once the connection ends,
 * none of its subscriptions is left in the engine.
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
    private static final LiveQueryEngine ENGINE = engine();
    private static final WebSocketCounts CONNECTIONS = new WebSocketCounts("ds", Integer.MAX_VALUE, Integer.MAX_VALUE);

    private static LiveQueryEngine engine() {
        try {
            Path dir = Files.createTempDirectory("live-messages-fuzz");
            ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds"));
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
            return new LiveQueryEngine(dsg, LiveConfig.DEFAULTS);
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    @FuzzTest
    void everyMessageIsAnsweredAndNoSubscriptionOutlivesTheConnection(byte[] message) throws InterruptedException {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint(null, 0, ByteBuffer.allocate(0), 1024, true);
        LiveWebSocket ws = new LiveWebSocket(endPoint, Runnable::run, ENGINE, "fuzz", LiveView.ALL, CONNECTIONS, TIMER, 20_000, Duration.ofSeconds(20));
        ws.onUpgradeTo(ByteBuffer.wrap(clientTextFrame(message)));
        ws.onOpen();
        ws.onClose(null);
        // The engine releases subscriptions on its own thread.
        TestSupport.await("no subscription left after the connection ended (" + ENGINE.subscriptionCount() + " left)", Duration.ofSeconds(10),
                          () -> ENGINE.subscriptionCount() == 0);
        checkServerFrames(endPoint.takeOutput());
    }

    /** Every frame the server sent is a protocol message, a ping or a close. */
    private static void checkServerFrames(ByteBuffer out) {
        while ( out.remaining() >= 2 ) {
            int opcode = out.get() & 0x0F;
            int len = out.get() & 0x7F;
            if ( len == 126 )
                len = out.getShort() & 0xFFFF;
            else if ( len == 127 )
                len = Math.toIntExact(out.getLong());
            byte[] payload = new byte[len];
            out.get(payload);
            switch ( opcode ) {
                case WebSocketFrames.TEXT -> checkMessage(new String(payload, StandardCharsets.UTF_8));
                case WebSocketFrames.CLOSE -> assertTrue(len >= 2, "a close frame from the server carries its code");
                case WebSocketFrames.PING, WebSocketFrames.PONG -> {}
                default -> fail("the server sent a frame with opcode " + opcode);
            }
        }
        assertEquals(0, out.remaining(), "a partial frame at the end of the server's output");
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

    /** One final, masked text frame, as a client sends it (the payload need not be UTF-8). */
    private static byte[] clientTextFrame(byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80 | WebSocketFrames.TEXT);
        int n = payload.length;
        if ( n <= 125 )
            out.write(0x80 | n);
        else if ( n <= 0xFFFF ) {
            out.write(0x80 | 126);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for ( int i = 7 ; i >= 0 ; i-- )
                out.write((int)((long)n >> (8 * i)));
        }
        byte[] mask = {0x5a, 0x13, (byte)0xc4, 0x7e};
        out.writeBytes(mask);
        for ( int i = 0 ; i < n ; i++ )
            out.write(payload[i] ^ mask[i & 3]);
        return out.toByteArray();
    }
}

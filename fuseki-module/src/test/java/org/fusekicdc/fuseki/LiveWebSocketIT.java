package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live queries over WebSocket with a real client (the JDK's): the message protocol, resume, errors, auth and slow clients. */
class LiveWebSocketIT {
    private static final String Q = "PREFIX : <http://example/> SELECT ?s ?o { ?s :p ?o }";
    private static final String Q2 = "PREFIX : <http://example/> SELECT ?s ?o { ?s :q ?o }";

    @TempDir
    Path work;

    private static void insert(CdcFuseki f, String triples) {
        assertEquals(204, f.update("ds", "PREFIX : <http://example/> INSERT DATA { " + triples + " }").statusCode());
    }

    private static String subscribe(String query, String alias) {
        return "{\"subscribe\": {\"sparql\": \"" + query.replace("\"", "\\\"") + "\", \"alias\": \"" + alias + "\"}}";
    }

    private static JsonObject notification(JsonObject message) {
        assertTrue(message.hasKey("notification"), "a notification: " + message);
        return message.get("notification").getAsObject();
    }

    private static JsonObject error(JsonObject message) {
        assertTrue(message.hasKey("error"), "an error: " + message);
        return message.get("error").getAsObject();
    }

    private static String str(JsonObject o, String key) {
        return o.get(key).getAsString().value();
    }

    private static long num(JsonObject o, String key) {
        return o.get(key).getAsNumber().value().longValue();
    }

    private static JsonArray bindings(JsonObject n, String which) {
        return n.get(which).getAsObject().get("results").getAsObject().get("bindings").getAsArray();
    }

    private static String value(JsonArray rows, int i, String var) {
        return rows.get(i).getAsObject().get(var).getAsObject().get("value").getAsString().value();
    }

    @Test
    void aSubscriptionGetsTheAnswerThenAddedAndRemovedResultsWithSequenceAndVersion() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            insert(f, ":a :p 1 .");
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
                c.send(subscribe(Q, "values"));
                JsonObject initial = notification(c.next());
                assertEquals("values", str(initial, "alias"));
                assertEquals(0, num(initial, "sequence"));
                assertEquals(1, num(initial, "version"));
                assertTrue(initial.get("initial").getAsBoolean().value());
                assertFalse(initial.hasKey("resync"));
                assertEquals("http://example/a", value(bindings(initial, "addedResults"), 0, "s"));
                assertEquals(0, bindings(initial, "removedResults").size());

                f.update("ds", "PREFIX : <http://example/> DELETE DATA { :a :p 1 } ; INSERT DATA { :b :p 2 }");
                JsonObject update = notification(c.next());
                assertEquals(str(initial, "spuid"), str(update, "spuid"));
                assertEquals(1, num(update, "sequence"));
                assertEquals(2, num(update, "version"));
                assertFalse(update.hasKey("initial"));
                assertEquals("http://example/b", value(bindings(update, "addedResults"), 0, "s"));
                assertEquals("http://example/a", value(bindings(update, "removedResults"), 0, "s"));

                insert(f, ":x :other 1 .");
                insert(f, ":c :p 3 .");
                JsonObject next = notification(c.next());
                assertEquals(2, num(next, "sequence"), "no notification for version 3, which did not touch the answer");
                assertEquals(4, num(next, "version"));
            }
        }
    }

    @Test
    void oneConnectionCarriesSeveralSubscriptionsAndUnsubscribesOne() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
            c.send(subscribe(Q, "p"));
            c.send(subscribe(Q2, "q"));
            c.send(subscribe("PREFIX : <http://example/> ASK { :a :p ?o }", "ask"));
            Map<String, String> spuids = new java.util.HashMap<>();
            for ( int i = 0 ; i < 3 ; i++ ) {
                JsonObject n = notification(c.next());
                spuids.put(str(n, "alias"), str(n, "spuid"));
            }
            assertEquals(3, spuids.size());
            assertEquals(3, f.runtime("ds").liveEngine().subscriptionCount());

            insert(f, ":a :p 1 . :b :q 2 .");
            Map<String, JsonObject> byAlias = new java.util.HashMap<>();
            for ( int i = 0 ; i < 3 ; i++ ) {
                JsonObject n = notification(c.next());
                byAlias.put(str(n, "alias"), n);
            }
            assertEquals("http://example/a", value(bindings(byAlias.get("p"), "addedResults"), 0, "s"));
            assertEquals("http://example/b", value(bindings(byAlias.get("q"), "addedResults"), 0, "s"));
            assertTrue(byAlias.get("ask").get("boolean").getAsBoolean().value());

            c.send("{\"unsubscribe\": {\"spuid\": \"" + spuids.get("p") + "\"}}");
            JsonObject bye = c.next().get("unsubscribed").getAsObject();
            assertEquals(spuids.get("p"), str(bye, "spuid"));
            assertEquals("p", str(bye, "alias"));
            waitFor(() -> f.runtime("ds").liveEngine().subscriptionCount() == 2, "the engine drops the unsubscribed query");

            insert(f, ":c :p 3 . :d :q 4 .");
            JsonObject n = notification(c.next());
            assertEquals("q", str(n, "alias"));
            assertNull(c.poll(1000), "nothing more for the unsubscribed query");

            f.runtime("ds").liveEngine().close(Long.parseLong(spuids.get("q")));
            JsonObject ended = error(c.next());
            assertEquals(spuids.get("q"), str(ended, "spuid"));
            assertEquals("subscription_ended", str(ended, "error"));
            assertTrue(str(ended, "error_description").contains("administrator"), ended.toString());
        }
    }

    @Test
    void aClientResumingWithSinceGetsTheMissedChangesOrAResync() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             WsClient keepAlive = new WsClient(f.url("/ds/live"), Map.of())) {
            // While someone subscribes to the query, its recent changes are kept.
            keepAlive.send(subscribe(Q, "keep"));
            keepAlive.next();
            insert(f, ":a :p 1 .");
            long seen;
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
                c.send(subscribe(Q, "values"));
                seen = num(notification(c.next()), "version");
            }
            insert(f, ":b :p 2 .");
            insert(f, ":c :p 3 .");
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
                c.send("{\"subscribe\": {\"sparql\": \"" + Q + "\", \"alias\": \"values\", \"since\": " + seen + "}}");
                JsonObject n = notification(c.next());
                assertFalse(n.hasKey("initial"), "the changes, not the whole answer: " + n);
                assertEquals(3, num(n, "version"));
                assertEquals(2, bindings(n, "addedResults").size());

                c.send("{\"subscribe\": {\"sparql\": \"" + Q2 + "\", \"alias\": \"other\", \"since\": 1}}");
                JsonObject resync = notification(c.next());
                assertTrue(resync.get("initial").getAsBoolean().value());
                assertTrue(resync.get("resync").getAsBoolean().value(), "changes after version 1 are not known for this query");
                assertEquals(3, num(resync, "version"));
            }
        }
    }

    @Test
    void badMessagesGetAnErrorNamingTheCauseAndTheConnectionGoesOn() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
            c.send(subscribe("SELECT * {", "broken"));
            JsonObject e = error(c.next());
            assertEquals(400, num(e, "status_code"));
            assertEquals("bad_query", str(e, "error"));
            assertEquals("broken", str(e, "alias"));
            assertTrue(str(e, "error_description").contains("Bad query"), e.toString());

            c.send("subscribe please");
            assertEquals("bad_request", str(error(c.next()), "error"));
            c.send("{\"publish\": {}}");
            assertTrue(str(error(c.next()), "error_description").contains("Unknown message"));
            c.send("{\"subscribe\": {\"alias\": \"no query\"}}");
            assertTrue(str(error(c.next()), "error_description").contains("\"sparql\""));
            c.send("{\"subscribe\": {\"sparql\": \"" + Q + "\", \"since\": \"yesterday\"}}");
            assertTrue(str(error(c.next()), "error_description").contains("\"since\""));
            c.send("{\"subscribe\": {\"sparql\": \"DESCRIBE <http://example/a>\"}}");
            assertEquals("bad_query", str(error(c.next()), "error"));
            c.send(subscribe("SELECT * FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE five minutes] WHERE { WINDOW <urn:w> { ?s ?p ?o } }",
                             "windowed"));
            JsonObject badWindow = error(c.next());
            assertEquals("bad_query", str(badWindow, "error"));
            assertEquals("windowed", str(badWindow, "alias"));
            assertTrue(str(badWindow, "error_description").contains("RANGE takes an ISO 8601 duration"), badWindow.toString());
            c.send("{\"unsubscribe\": {\"spuid\": \"12345\"}}");
            JsonObject unknown = error(c.next());
            assertEquals(404, num(unknown, "status_code"));
            assertEquals("unknown_subscription", str(unknown, "error"));

            c.send(subscribe(Q, "fine"));
            assertEquals("fine", str(notification(c.next()), "alias"));
        }
    }

    private static final String COUNT = "PREFIX : <http://example/> SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added>"
                                        + " [RANGE PT1S STEP PT1S] WHERE { WINDOW <urn:w> { ?s :p ?o } }";

    private static JsonObject step(JsonObject message) {
        assertTrue(message.hasKey("step"), "a step: " + message);
        return message.get("step").getAsObject();
    }

    /** The next message that is not a step (steps of the open continuous query keep coming meanwhile). */
    private static JsonObject nextNotStep(WsClient c) throws InterruptedException {
        for ( int i = 0 ; i < 20 ; i++ ) {
            JsonObject m = c.next();
            if ( !m.hasKey("step") )
                return m;
        }
        throw new AssertionError("only steps among 20 messages");
    }

    @Test
    void aWindowedSubscriptionGetsOneStepMessagePerWindowBesideALiveOneAndCanBeUnsubscribed() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
            c.send(subscribe(COUNT, "counts"));
            // Every window reports, also an empty one: the first step says the query is registered.
            JsonObject first = step(c.next());
            String spuid = str(first, "spuid");
            assertEquals("counts", str(first, "alias"));
            assertEquals(spuid, str(first, "query"), "the spuid is the query's name, as on SSE");
            assertEquals("RSTREAM", str(first, "operator"));
            assertEquals(java.util.List.of("n"), first.get("results").getAsObject().get("head").getAsObject().get("vars").getAsArray().stream()
                                                       .map(v -> v.getAsString().value()).toList());
            c.send(subscribe(Q, "live"));
            insert(f, ":a :p 1 . :b :p 2 .");
            long written = f.dataset("ds").changeLog().publishedVersion();
            long previous = num(first, "step");
            boolean live = false;
            JsonObject counted = null;
            for ( int i = 0 ; i < 30 && (counted == null || !live) ; i++ ) {
                JsonObject m = c.next();
                if ( m.hasKey("notification") ) {
                    live = true;
                    continue;
                }
                JsonObject s = step(m);
                assertEquals(previous + 1, num(s, "step"), "one message per window, in order");
                previous = num(s, "step");
                java.time.Instant start = java.time.Instant.parse(str(s, "windowStart"));
                assertEquals(java.time.Duration.ofSeconds(1), java.time.Duration.between(start, java.time.Instant.parse(str(s, "windowEnd"))));
                if ( value(s.get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray(), 0, "n").equals("2") )
                    counted = s;
            }
            assertTrue(live, "the live subscription beside it is notified");
            assertTrue(counted != null, "a step counting the 2 inserted triples");
            assertEquals(written, num(counted, "version"), "evaluated at the version after the insert");

            c.send("{\"subscribe\": {\"sparql\": \"" + COUNT + "\", \"alias\": \"again\", \"since\": 1}}");
            JsonObject resume = error(nextNotStep(c));
            assertEquals(400, num(resume, "status_code"));
            assertTrue(str(resume, "error_description").contains("cannot resume"), resume.toString());

            c.send("{\"unsubscribe\": {\"spuid\": \"" + spuid + "\"}}");
            JsonObject gone = nextNotStep(c);
            assertTrue(gone.hasKey("unsubscribed"), gone.toString());
            assertEquals(spuid, str(gone.get("unsubscribed").getAsObject(), "spuid"));
            assertEquals("counts", str(gone.get("unsubscribed").getAsObject(), "alias"));
            org.fusekicdc.core.testing.TestSupport.await("the continuous query unregistered", java.time.Duration.ofSeconds(20),
                                                         () -> f.runtime("ds").continuousQueries().subscriptionCount() == 0);
        }
    }

    @Test
    void anIdleConnectionIsPinged() throws Exception {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:liveHeartbeatSeconds 1 ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {});
             WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
            assertTrue(c.pings.poll(10, TimeUnit.SECONDS) != null, "a ping within 10 s");
        }
    }

    @Test
    void protocolViolationsCloseTheConnectionWithTheirCode() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
                c.send(subscribe(Q, "values"));
                c.next();
                c.ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
                String closed = c.closed.get(20, TimeUnit.SECONDS);
                assertTrue(closed.startsWith("1003 "), closed);
                assertTrue(closed.contains("Binary"), closed);
            }
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
                c.ws.sendText("{\"subscribe\": {\"sparql\": \"" + "#".repeat(1 << 20) + "\"}}", true).exceptionally(t -> null);
                String closed = c.closed.get(20, TimeUnit.SECONDS);
                assertTrue(closed.startsWith("1009 "), closed);
            }
            waitFor(() -> f.runtime("ds").liveEngine().subscriptionCount() == 0, "a closed connection releases its subscriptions");
        }
    }

    /** The status line and headers a raw handshake gets. */
    private static String handshake(CdcFuseki f, String version, String key) throws Exception {
        return handshake(f, version, key, "");
    }

    /** The status line, headers and (when not switching protocols) body a raw handshake with further header lines gets. */
    private static String handshake(CdcFuseki f, String version, String key, String headerLines) throws Exception {
        try (java.net.Socket s = new java.net.Socket("localhost", f.server().getHttpPort())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET /ds/live HTTP/1.1\r\nHost: localhost:" + f.server().getHttpPort()
                                       + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + headerLines
                                       + "Sec-WebSocket-Version: " + version + "\r\nSec-WebSocket-Key: " + key + "\r\n\r\n")
                                      .getBytes(StandardCharsets.US_ASCII));
            java.io.DataInputStream in = new java.io.DataInputStream(s.getInputStream());
            StringBuilder head = new StringBuilder();
            int contentLength = 0;
            for ( String line = readLine(in) ; !line.isEmpty() ; line = readLine(in) ) {
                head.append(line).append('\n');
                if ( line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:") )
                    contentLength = Integer.parseInt(line.substring(15).trim());
            }
            if ( !head.toString().startsWith("HTTP/1.1 101 ") && contentLength > 0 )
                head.append('\n').append(new String(in.readNBytes(contentLength), StandardCharsets.UTF_8));
            return head.toString();
        }
    }

    private static String readLine(java.io.InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for ( int c = in.read() ; c != -1 && c != '\n' ; c = in.read() ) {
            if ( c != '\r' )
                line.append((char)c);
        }
        return line.toString();
    }

    @Test
    void onlyTheServersOwnPagesAndListedOriginsMayOpenAWebSocket() throws Exception {
        String key = "dGhlIHNhbXBsZSBub25jZQ==";
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            String own = handshake(f, "13", key, "Origin: http://localhost:" + f.server().getHttpPort() + "\r\n");
            assertTrue(own.startsWith("HTTP/1.1 101 "), own);
            String other = handshake(f, "13", key, "Origin: https://evil.example\r\n");
            assertTrue(other.startsWith("HTTP/1.1 403 "), other);
            assertTrue(other.contains("https://evil.example") && other.contains("cdc:allowedOrigins"), other);
        }
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work)
                                 .replace("cdc:logDirectory", "cdc:allowedOrigins \"https://dashboard.example.org\" ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            assertTrue(handshake(f, "13", key, "Origin: https://dashboard.example.org\r\n").startsWith("HTTP/1.1 101 "));
            assertTrue(handshake(f, "13", key, "Origin: https://evil.example\r\n").startsWith("HTTP/1.1 403 "));
            assertTrue(handshake(f, "13", key, "Origin: http://localhost:" + f.server().getHttpPort() + "\r\n").startsWith("HTTP/1.1 101 "));
        }
    }

    @Test
    void theHandshakeFollowsRfc6455AndRefusesWhatItCannotServe() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            String ok = handshake(f, "13", "dGhlIHNhbXBsZSBub25jZQ==");
            assertTrue(ok.startsWith("HTTP/1.1 101 "), ok);
            assertTrue(ok.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), ok);
            String oldVersion = handshake(f, "8", "dGhlIHNhbXBsZSBub25jZQ==");
            assertTrue(oldVersion.startsWith("HTTP/1.1 426 "), oldVersion);
            assertTrue(oldVersion.contains("Sec-WebSocket-Version: 13"), oldVersion);
            assertTrue(handshake(f, "13", "short").startsWith("HTTP/1.1 400 "));
        }
    }

    @Test
    void theHandshakeIsSubjectToFusekiAuthentication() throws Exception {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\n");
        String config = CdcFuseki.exampleConfig("live-auth.ttl", work).replace("\"" + work + "/passwd\"", "\"" + passwd + "\"");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            CompletionException anonymous = assertThrows(CompletionException.class, () -> new WsClient(f.url("/ds/live"), Map.of()));
            assertEquals(401, assertInstanceOf(WebSocketHandshakeException.class, anonymous.getCause()).getResponse().statusCode());
            String wrong = "Basic " + Base64.getEncoder().encodeToString("alice:wrong".getBytes(StandardCharsets.UTF_8));
            CompletionException refused = assertThrows(CompletionException.class,
                                                       () -> new WsClient(f.url("/ds/live"), Map.of("Authorization", wrong)));
            assertEquals(401, assertInstanceOf(WebSocketHandshakeException.class, refused.getCause()).getResponse().statusCode());

            String alice = "Basic " + Base64.getEncoder().encodeToString("alice:alice-pw".getBytes(StandardCharsets.UTF_8));
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of("Authorization", alice))) {
                c.send(subscribe(Q, "values"));
                assertTrue(notification(c.next()).get("initial").getAsBoolean().value());
                assertEquals("user:alice", f.runtime("ds").liveEngine().subscriptions().get(0).client());
            }
        }
    }

    /**
     * A client on a raw socket with a small, fixed receive buffer, so that a client that does
     * not read stops the server's writes after kilobytes (the JDK client and the kernel's
     * buffer tuning would take in megabytes). It gives up after two minutes: the server's pings
     * would otherwise keep a read waiting for a message that never comes going for ever.
     */
    private static final class RawClient implements AutoCloseable {
        private final java.net.Socket socket = new java.net.Socket();
        private final java.io.OutputStream out;
        private final java.io.DataInputStream in;
        private final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);

        RawClient(CdcFuseki f) throws Exception {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new java.net.InetSocketAddress("localhost", f.server().getHttpPort()));
            socket.setSoTimeout(30_000);
            out = socket.getOutputStream();
            in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
            out.write(("GET /ds/live HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for ( int crlf = 0 ; crlf < 4 ; )
                crlf = in.read() == (crlf % 2 == 0 ? '\r' : '\n') ? crlf + 1 : 0;
        }

        /** Send a masked text frame. */
        void send(String text) throws java.io.IOException {
            byte[] p = text.getBytes(StandardCharsets.UTF_8);
            java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
            f.write(0x81);
            if ( p.length <= 125 )
                f.write(0x80 | p.length);
            else {
                f.write(0x80 | 126);
                f.write(p.length >> 8);
                f.write(p.length);
            }
            byte[] mask = {1, 2, 3, 4};
            f.writeBytes(mask);
            for ( int i = 0 ; i < p.length ; i++ )
                f.write(p[i] ^ mask[i & 3]);
            out.write(f.toByteArray());
        }

        /** The next frame's opcode and payload (server frames are final and unmasked). */
        java.util.Map.Entry<Integer, byte[]> next() throws java.io.IOException {
            java.util.Map.Entry<Integer, Long> header = nextHeader();
            byte[] payload = new byte[Math.toIntExact(header.getValue())];
            in.readFully(payload);
            return java.util.Map.entry(header.getKey(), payload);
        }

        /** The next frame's opcode and payload length, leaving the payload unread. */
        java.util.Map.Entry<Integer, Long> nextHeader() throws java.io.IOException {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("The server sent nothing this test waits for within 2 minutes (only pings, or nothing)");
            int opcode = in.readUnsignedByte() & 0x0F;
            long n = in.readUnsignedByte() & 0x7F;
            if ( n == 126 )
                n = in.readUnsignedShort();
            else if ( n == 127 )
                n = in.readLong();
            return java.util.Map.entry(opcode, n);
        }

        /** The next text message, skipping pings. */
        JsonObject nextMessage() throws java.io.IOException {
            while ( true ) {
                var frame = next();
                if ( frame.getKey() == 0x1 )
                    return org.apache.jena.atlas.json.JSON.parse(new String(frame.getValue(), StandardCharsets.UTF_8));
                if ( frame.getKey() == 0x8 )
                    throw new AssertionError("closed: " + new String(frame.getValue(), StandardCharsets.UTF_8));
            }
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }

    /** Megabytes of changes: a notification far larger than the connection holds. */
    private static void insertBig(CdcFuseki f) {
        String big = "x".repeat(2000);
        StringBuilder rows = new StringBuilder();
        for ( int i = 0 ; i < 5000 ; i++ )
            rows.append(":big").append(i).append(" :p \"").append(big).append("\" .\n");
        insert(f, rows.toString());
    }

    @Test
    void aClientThatDoesNotReadHoldsABoundedBacklogAndThenGetsAResync() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             RawClient c = new RawClient(f)) {
            c.send(subscribe(Q, "values"));
            insertBig(f);
            // More than the subscription's bound (10,000 rows) waits behind the big change.
            StringBuilder rows = new StringBuilder();
            for ( int i = 0 ; i < 10_001 ; i++ )
                rows.append(":small").append(i).append(" :p ").append(i).append(" .\n");
            insert(f, rows.toString());
            long version = f.dataset("ds").changeLog().headVersion();

            JsonObject n;
            do {
                n = notification(c.nextMessage());
            } while ( !n.hasKey("resync") );
            assertTrue(n.get("initial").getAsBoolean().value());
            assertEquals(version, num(n, "version"));
            assertEquals(15_001, bindings(n, "addedResults").size(), "the whole answer at the latest version");
        }
    }

    @Test
    void aClientThatSendsWithoutReadingIsCutOff() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             RawClient c = new RawClient(f)) {
            c.send(subscribe(Q, "values"));
            assertTrue(notification(c.nextMessage()).get("initial").getAsBoolean().value());
            insertBig(f);
            // The big change's notification is being written: it fills the connection, as this client reads no further.
            java.util.Map.Entry<Integer, Long> big = c.nextHeader();
            while ( big.getKey() == 0x9 ) {
                c.in.skipNBytes(big.getValue());
                big = c.nextHeader();
            }
            assertEquals(0x1, big.getKey());
            assertTrue(big.getValue() > 5_000_000, "the big change's notification, " + big.getValue() + " bytes");
            // Each gets an error reply, which waits behind it; the server cuts the client off once it has read 1,000 more
            // than this client took. Reading before then would take the replies and make room for more.
            for ( int i = 0 ; i < 3000 ; i++ )
                c.send("{\"publish\": {}}");
            waitFor(() -> f.runtime("ds").liveEngine().droppedClientCount() == 1, "the server cuts the client off, and counts it");
            try {
                c.in.skipNBytes(big.getValue());
                java.util.Map.Entry<Integer, byte[]> frame;
                int replies = 0;
                do {
                    frame = c.next();
                    if ( frame.getKey() == 0x1 && ++replies > 1000 )
                        throw new AssertionError("More than 1,000 replies and no close; the last: " + new String(frame.getValue(), StandardCharsets.UTF_8));
                } while ( frame.getKey() != 0x8 );
                byte[] p = frame.getValue();
                assertEquals(1008, ((p[0] & 0xFF) << 8) | (p[1] & 0xFF));
                assertTrue(new String(p, 2, p.length - 2, StandardCharsets.UTF_8).contains("unread replies"));
            } catch (java.net.SocketException ex) {
                // The server closed with this client's sends still unread in its buffer: TCP resets, and the
                // reset can overtake the close frame. The released subscription below shows the cut-off.
            }
            waitFor(() -> f.runtime("ds").liveEngine().subscriptionCount() == 0, "the connection's subscription is released");
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("Not within 20 s: " + what);
            Thread.sleep(50);
        }
    }
}

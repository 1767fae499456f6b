package org.fusekicdc.fuseki;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;

/**
 * Test support: a WebSocket client (the JDK's) that queues the server's JSON messages and
 * records how the server closed the connection.
 */
public final class WsClient implements AutoCloseable {
    public final WebSocket ws;
    private final BlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
    /** The server's close code and reason, once it closed. */
    public final CompletableFuture<String> closed = new CompletableFuture<>();
    public final BlockingQueue<ByteBuffer> pings = new LinkedBlockingQueue<>();

    public WsClient(String url, Map<String, String> headers) {
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        this.ws = b.buildAsync(URI.create(url.replaceFirst("^http", "ws")), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if ( last ) {
                    messages.add(JSON.parse(text.toString()));
                    text.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
                pings.add(message);
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                closed.complete(statusCode + " " + reason);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                closed.complete("error " + error);
            }
        }).join();
    }

    public void send(String json) {
        ws.sendText(json, true).join();
    }

    /** The next message from the server; fails after 20 s. */
    public JsonObject next() throws InterruptedException {
        JsonObject m = poll(20_000);
        if ( m == null )
            throw new AssertionError("no message from the server within 20 s");
        return m;
    }

    public JsonObject poll(long millis) throws InterruptedException {
        return messages.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if ( !ws.isOutputClosed() )
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(t -> null);
        ws.abort();
    }
}

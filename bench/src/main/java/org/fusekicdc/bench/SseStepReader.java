package org.fusekicdc.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * A continuous query registered on the live-query endpoint over Server-Sent Events, its
 * {@code step} events read on a thread of their own: each is time-stamped when the blank line
 * that ends it is read.
 */
final class SseStepReader implements AutoCloseable {
    private final Stream<String> lines;
    private final Thread thread;

    private SseStepReader(Stream<String> lines, StepArrivals into) {
        this.lines = lines;
        this.thread = Thread.ofPlatform().daemon().name("sse-steps").start(() -> read(into));
    }

    /** Register {@code query} at {@code liveUrl} and start reading its steps into {@code into}. */
    static SseStepReader register(HttpClient http, String liveUrl, String query, StepArrivals into) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(liveUrl + "?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                                     .header("Accept", "text/event-stream").GET().build();
        HttpResponse<Stream<String>> resp = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if ( resp.statusCode() != 200 ) {
            String body = String.join("\n", resp.body().toList());
            throw new IOException("registering the continuous query at " + liveUrl + ": HTTP " + resp.statusCode() + " " + body);
        }
        return new SseStepReader(resp.body(), into);
    }

    private void read(StepArrivals into) {
        String event = "message";
        StringBuilder data = new StringBuilder();
        try {
            Iterator<String> it = lines.iterator();
            while ( it.hasNext() ) {
                String line = it.next();
                if ( line.startsWith("event: ") )
                    event = line.substring(7);
                else if ( line.startsWith("data: ") )
                    data.append(line, 6, line.length());
                else if ( line.isEmpty() && !data.isEmpty() ) {
                    long at = StepArrivals.nowMicros();
                    if ( event.equals("step") )
                        into.received(data.toString(), at, -1);
                    else if ( event.equals("error") )
                        into.failed(data.toString());
                    event = "message";
                    data.setLength(0);
                }
            }
        } catch (RuntimeException closed) {
            // close() ended the stream.
        }
    }

    @Override
    public void close() {
        lines.close();
        thread.interrupt();
    }
}

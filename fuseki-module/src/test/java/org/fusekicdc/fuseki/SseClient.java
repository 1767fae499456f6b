package org.fusekicdc.fuseki;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Test support: a Server-Sent Events client that collects events on a background thread. */
public final class SseClient implements AutoCloseable {
    /** One event; a heartbeat comment is an event named "heartbeat". */
    public record Event(String id, String event, String data) {}

    public final HttpResponse<Stream<String>> response;
    private final BlockingQueue<Event> events = new ArrayBlockingQueue<>(100_000);
    private final Stream<String> lines;
    private final Thread thread;

    public SseClient(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        headers.forEach(b::header);
        response = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofLines());
        lines = response.body();
        thread = Thread.ofVirtual().start(this::read);
    }

    private void read() {
        String id = null;
        String event = "message";
        StringBuilder data = new StringBuilder();
        try {
            Iterator<String> it = lines.iterator();
            while ( it.hasNext() ) {
                String line = it.next();
                if ( line.startsWith("id: ") )
                    id = line.substring(4);
                else if ( line.startsWith("event: ") )
                    event = line.substring(7);
                else if ( line.startsWith("data: ") )
                    data.append(data.isEmpty() ? "" : "\n").append(line.substring(6));
                else if ( line.startsWith(":") && line.contains("heartbeat") )
                    events.add(new Event(null, "heartbeat", ""));
                else if ( line.isEmpty() && !data.isEmpty() ) {
                    events.add(new Event(id, event, data.toString()));
                    id = null;
                    event = "message";
                    data.setLength(0);
                }
            }
        } catch (RuntimeException closed) {
            // The stream was closed by close().
        }
    }

    /** The next event other than a heartbeat; fails after 30 s. */
    public Event next() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ( true ) {
            Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if ( e == null )
                throw new AssertionError("no event within 30 s");
            if ( !e.event().equals("heartbeat") )
                return e;
        }
    }

    /** The next event of any kind, or null after the timeout. */
    public Event poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        lines.close();
        thread.interrupt();
    }
}

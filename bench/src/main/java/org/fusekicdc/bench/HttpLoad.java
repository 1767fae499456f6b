package org.fusekicdc.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** The HTTP side of the capture benchmark: sends the load to a server and asks it what it holds. */
final class HttpLoad {
    private static final String UPDATE_TYPE = "application/sparql-update";
    private static final String COUNT_QUERY = "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";

    /** A turn's throughput and the latency of each of its updates. */
    record Round(double txnPerSec, long[] latencyNanos) {}

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                      .connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * One turn of a server: {@code count} updates when {@code count > 0}, otherwise updates for
     * {@code seconds} (no update starts after that), sent by {@code clients} concurrent clients.
     * Rate = updates / time until the last answer.
     */
    Round runTurn(ChildServer server, SmallTxnWorkload workload, int clients, int count, double seconds) throws Exception {
        AtomicInteger started = new AtomicInteger();
        URI uri = URI.create(server.base() + "/update");
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            long t0 = System.nanoTime();
            long deadline = t0 + (long)(seconds * 1e9);
            List<Future<long[]>> futures = new ArrayList<>();
            for ( int c = 0 ; c < clients ; c++ ) {
                futures.add(pool.submit(() -> {
                    long[] lat = new long[64];
                    int n = 0;
                    while ( true ) {
                        if ( count > 0 ? started.getAndIncrement() >= count : System.nanoTime() >= deadline )
                            break;
                        String update = workload.next();
                        HttpRequest req = HttpRequest.newBuilder(uri).header("Content-Type", UPDATE_TYPE)
                                                     .POST(HttpRequest.BodyPublishers.ofString(update)).build();
                        long a = System.nanoTime();
                        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if ( n == lat.length )
                            lat = Arrays.copyOf(lat, n * 2);
                        lat[n++] = System.nanoTime() - a;
                        if ( resp.statusCode() / 100 != 2 )
                            throw new IOException(server.label + ": update failed with " + resp.statusCode() + ": " + resp.body() + "\n" + update);
                    }
                    return Arrays.copyOf(lat, n);
                }));
            }
            List<long[]> lats = new ArrayList<>();
            for ( Future<long[]> f : futures )
                lats.add(f.get());
            double secs = (System.nanoTime() - t0) / 1e9;
            long[] latency = lats.stream().flatMapToLong(Arrays::stream).toArray();
            return new Round(latency.length / secs, latency);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Upload {@code triples} generated N-Triples in one request; returns the seconds it took. */
    double upload(ChildServer s, String tag, long triples) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(s.base() + "/data?default"))
                                     .header("Content-Type", "application/n-triples")
                                     .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new NTriplesStream(tag, triples)))
                                     .timeout(Duration.ofMinutes(30)).build();
        long t0 = System.nanoTime();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        double secs = (System.nanoTime() - t0) / 1e9;
        if ( resp.statusCode() / 100 != 2 )
            throw new IOException(s.label + ": upload failed with " + resp.statusCode() + ": " + resp.body() + "\n" + s.logTail());
        return secs;
    }

    /** Quads the server holds, default graph and named graphs. */
    long count(ChildServer s) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(s.base() + "?query=" + URLEncoder.encode(COUNT_QUERY, StandardCharsets.UTF_8)))
                                     .header("Accept", "text/csv").GET().build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if ( resp.statusCode() != 200 )
            throw new IOException(s.label + ": count query failed with " + resp.statusCode() + ": " + resp.body());
        String[] lines = resp.body().trim().split("\r?\n");
        return Long.parseLong(lines[lines.length - 1].trim());
    }

    /** The head version of a captured server's change log. */
    long headVersion(ChildServer s) throws Exception {
        HttpResponse<Void> resp = http.send(HttpRequest.newBuilder(URI.create(s.base() + "/changes")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                                            HttpResponse.BodyHandlers.discarding());
        return Long.parseLong(resp.headers().firstValue("X-CDC-Head-Version").orElse("-1"));
    }
}

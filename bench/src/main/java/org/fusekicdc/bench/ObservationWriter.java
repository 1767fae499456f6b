package org.fusekicdc.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Sensor observations written to Fuseki in batched transactions: each batch is one
 * {@code POST <dataset>/data?default} of N-Triples, {@code batch} observations of two triples
 * ({@code sosa:madeBySensor}, {@code sosa:hasSimpleResult}), so one commit of
 * {@code 2 * batch} quad events. One writer: TDB2 commits one write transaction at a time.
 */
final class ObservationWriter {
    static final String EX = "http://example.org/";
    static final int SENSORS = 1000;
    static final int ROOMS = 50;

    /**
     * What one run of writes did; {@code postedMicros} and {@code answeredMicros} are, per
     * transaction in order, when its POST was sent and its answer read ({@link StepArrivals#nowMicros}).
     */
    record Run(long batches, long quads, double seconds, double[] commitMillisSorted, long[] postedMicros, long[] answeredMicros) {
        double quadsPerSecond() {
            return quads / seconds;
        }

        /** When the answer came to the transaction in flight at {@code micros} (posted at or before it, answered after), or -1 for none. */
        long answerOfPostInFlight(long micros) {
            int i = Arrays.binarySearch(postedMicros, micros);
            int last = i >= 0 ? i : -i - 2;
            return last >= 0 && answeredMicros[last] > micros ? answeredMicros[last] : -1;
        }
    }

    private final HttpClient http;
    private final URI data;
    private final int batch;
    private long next;

    ObservationWriter(HttpClient http, String datasetUrl, int batch) {
        this.http = http;
        this.data = URI.create(datasetUrl + "/data?default");
        this.batch = batch;
    }

    /** The reference data: sensor {@code s<i>} is in room {@code room<i mod 50>}. */
    static String sensorsInRooms() {
        StringBuilder sb = new StringBuilder();
        for ( int s = 0; s < SENSORS; s++ )
            sb.append('<').append(EX).append('s').append(s).append("> <").append(EX).append("inRoom> <").append(EX).append("room").append(s % ROOMS).append("> .\n");
        return sb.toString();
    }

    void post(String ntriples) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(data).header("Content-Type", "application/n-triples")
                                     .POST(HttpRequest.BodyPublishers.ofString(ntriples, StandardCharsets.UTF_8)).build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if ( resp.statusCode() / 100 != 2 )
            throw new IOException("POST " + data + ": HTTP " + resp.statusCode() + " " + resp.body());
    }

    /**
     * Write batches for {@code seconds}: at {@code quadsPerSecond} (batch {@code k} is sent at
     * {@code start + k * 2 * batch / quadsPerSecond}, never earlier; a late one at once), or as
     * fast as the server takes them when {@code quadsPerSecond} is 0.
     */
    Run run(double seconds, double quadsPerSecond) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long end = start + (long)(seconds * 1e9);
        double periodNanos = quadsPerSecond > 0 ? 2.0 * batch / quadsPerSecond * 1e9 : 0;
        double[] commits = new double[1024];
        long[] posted = new long[1024];
        long[] answered = new long[1024];
        long k = 0;
        while ( true ) {
            long due = start + (long)(k * periodNanos);
            if ( due >= end || System.nanoTime() >= end )
                break;
            long wait = due - System.nanoTime();
            if ( wait > 0 )
                LockSupport.parkNanos(wait);
            String body = nextBatch();
            if ( k == commits.length ) {
                commits = Arrays.copyOf(commits, commits.length * 2);
                posted = Arrays.copyOf(posted, commits.length);
                answered = Arrays.copyOf(answered, commits.length);
            }
            posted[(int)k] = StepArrivals.nowMicros();
            long t = System.nanoTime();
            post(body);
            commits[(int)k] = (System.nanoTime() - t) / 1e6;
            answered[(int)k] = StepArrivals.nowMicros();
            k++;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double[] sorted = Arrays.copyOf(commits, (int)k);
        Arrays.sort(sorted);
        return new Run(k, 2L * batch * k, secs, sorted, Arrays.copyOf(posted, (int)k), Arrays.copyOf(answered, (int)k));
    }

    private String nextBatch() {
        StringBuilder sb = new StringBuilder(batch * 200);
        for ( int i = 0; i < batch; i++, next++ ) {
            String obs = "<" + EX + "o" + next + "> ";
            sb.append(obs).append("<http://www.w3.org/ns/sosa/madeBySensor> <").append(EX).append('s').append(next * 7919 % SENSORS).append("> .\n");
            sb.append(obs).append("<http://www.w3.org/ns/sosa/hasSimpleResult> \"").append(next % 40)
              .append("\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n");
        }
        return sb.toString();
    }
}

package org.fusekicdc.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Asks a replica, with SPARQL queries over HTTP as any reader would, which versions of a
 * {@link PatchStream} it holds: a version is visible once its marker quad is.
 */
final class ReplicaProbe {
    /** Versions asked about in one query while following a stream. */
    private static final int WINDOW = 100;
    private final HttpClient http;
    private final ChildServer server;
    private int windowMisses;

    ReplicaProbe(HttpClient http, ChildServer server) {
        this.http = http;
        this.server = server;
    }

    /**
     * Wait until {@code version} is visible, at most {@code within}; a server not yet answering
     * (still starting) counts as not holding it. Returns false at the deadline.
     */
    boolean awaitVersion(long version, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while ( System.nanoTime() < deadline ) {
            server.requireAlive();
            try {
                if ( holds(version) )
                    return true;
            } catch (IOException notAnswering) {
                // starting, or busy catching up before it listens
            }
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Follow versions {@code first}..{@code last} as they become visible and return, for each,
     * the epoch ms at which a query first saw it (polling every {@code pollMillis} while nothing
     * new shows). Versions are applied in order, so each query asks about the next
     * {@value #WINDOW} unseen ones at once: a group that becomes visible together is seen
     * together.
     */
    long[] follow(long first, long last, long pollMillis, Duration within) throws Exception {
        long[] seen = new long[(int)(last - first + 1)];
        long next = first;
        long deadline = System.nanoTime() + within.toNanos();
        while ( next <= last ) {
            if ( System.nanoTime() > deadline )
                throw new IOException(server.label + ": version " + next + " not visible within " + within.toSeconds() + " s\n" + server.logTail());
            Set<Long> visible = visible(next, Math.min(last, next + WINDOW - 1));
            long now = System.currentTimeMillis();
            if ( !visible.contains(next) && holds(next) ) {
                // The window's query ran just before the version committed and this one just after;
                // or (once in a trial run, for minutes) the window's query kept missing a visible
                // version. Count it and go on from the single-version answer.
                windowMisses++;
                visible = Set.of(next);
            }
            boolean progressed = false;
            while ( visible.contains(next) ) {
                seen[(int)(next - first)] = now;
                next++;
                progressed = true;
            }
            if ( !progressed ) {
                server.requireAlive();
                LockSupport.parkNanos(pollMillis * 1_000_000L);
            }
        }
        return seen;
    }

    /** Times a window's query lacked a version that the single-version query right after it showed. */
    int windowMisses() {
        return windowMisses;
    }

    private boolean holds(long version) throws IOException, InterruptedException {
        String ask = "ASK { GRAPH ?g { <" + PatchStream.subject(version) + "> <" + PatchStream.SEQ + "> ?n } }";
        return query(ask, "application/sparql-results+json").contains("true");
    }

    private Set<Long> visible(long from, long to) throws IOException, InterruptedException {
        StringBuilder q = new StringBuilder("SELECT ?n { VALUES ?s {");
        for ( long v = from ; v <= to ; v++ )
            q.append(" <").append(PatchStream.subject(v)).append('>');
        q.append(" } GRAPH ?g { ?s <").append(PatchStream.SEQ).append("> ?n } }");
        Set<Long> out = new HashSet<>();
        String[] lines = query(q.toString(), "text/csv").split("\r?\n");
        for ( int i = 1 ; i < lines.length ; i++ ) {
            if ( !lines[i].isBlank() )
                out.add(Long.parseLong(lines[i].trim()));
        }
        return out;
    }

    private String query(String sparql, String accept) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.base() + "?query=" + URLEncoder.encode(sparql, StandardCharsets.UTF_8)))
                                     .header("Accept", accept).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if ( resp.statusCode() != 200 )
            throw new IOException(server.label + ": query failed with " + resp.statusCode() + ": " + resp.body());
        return resp.body();
    }
}

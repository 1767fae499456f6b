package org.fusekicdc.fuseki.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.fuseki.config.ReplicaReadSettings;
import org.fusekicdc.fuseki.runtime.CapturedService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-your-writes and readiness for replicas behind a load balancer.
 * <ul>
 * <li>A request to a captured dataset's service with {@code X-CDC-Min-Version: N} (or
 * {@code minVersion=N} in the query string) waits until a read transaction here shows version N
 * or later, then goes on; past {@code cdc:minVersionWaitMillis} (or the request's shorter
 * {@code X-CDC-Max-Wait} / {@code maxWait}, in ms) it gets 503 with the version it has and the lag.
 * At most {@code cdc:minVersionMaxWaiters} requests of a dataset wait at once; more get 503 at once.</li>
 * <li>{@code GET /$/cdc/{dataset}/ready}: 200 when the dataset serves and, on a follower, is
 * within {@code maxLagVersions} and {@code maxLagMillis} of its topic; 503 otherwise. Needs no admin.</li>
 * </ul>
 */
final class ReplicaReadFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaReadFilter.class);
    static final String HDR_MIN_VERSION = "X-CDC-Min-Version";
    static final String HDR_MAX_WAIT = "X-CDC-Max-Wait";

    private final List<CapturedService> services;
    private final String statusPath;
    private final Map<DatasetRuntime, Semaphore> waiters = new ConcurrentHashMap<>();

    ReplicaReadFilter(List<CapturedService> services, String statusPath) {
        this.services = services;
        this.statusPath = statusPath;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        if ( !(request instanceof HttpServletRequest req) || !(response instanceof HttpServletResponse resp) ) {
            chain.doFilter(request, response);
            return;
        }
        String path = req.getRequestURI().substring(req.getContextPath().length());
        if ( path.startsWith(statusPath + "/") && path.endsWith("/ready") ) {
            String name = URLDecoder.decode(path.substring(statusPath.length() + 1, path.length() - "/ready".length()), StandardCharsets.UTF_8);
            CapturedService svc = services.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
            if ( svc != null && (req.getMethod().equals("GET") || req.getMethod().equals("HEAD")) ) {
                ready(req, resp, svc.runtime());
                return;
            }
        }
        String minVersion = req.getHeader(HDR_MIN_VERSION);
        if ( minVersion == null )
            minVersion = queryParam(req, "minVersion");
        if ( minVersion == null ) {
            chain.doFilter(request, response);
            return;
        }
        DatasetRuntime runtime = services.stream().filter(s -> path.equals(s.service()) || path.startsWith(s.service() + "/"))
                                         .map(CapturedService::runtime).findFirst().orElse(null);
        if ( runtime == null ) {
            chain.doFilter(request, response);
            return;
        }
        long wanted = number(minVersion);
        if ( wanted < 0 ) {
            send(resp, 400, "text/plain", "X-CDC-Min-Version (or minVersion) must be a version number (0 or more), as a write's X-CDC-Version names it; got '"
                                          + minVersion + "'.\n");
            return;
        }
        ReplicaReadSettings settings = runtime.replicaReadSettings();
        long maxWait = settings.maxWait().toMillis();
        String asked = req.getHeader(HDR_MAX_WAIT) != null ? req.getHeader(HDR_MAX_WAIT) : queryParam(req, "maxWait");
        if ( asked != null ) {
            long a = number(asked);
            if ( a < 0 ) {
                send(resp, 400, "text/plain", "X-CDC-Max-Wait (or maxWait) must be a number of milliseconds (0 or more); got '" + asked + "'.\n");
                return;
            }
            maxWait = Math.min(maxWait, a);
        }
        if ( !visible(runtime, wanted) && !await(runtime, wanted, maxWait, resp) )
            return;
        chain.doFilter(request, response);
    }

    /** Wait until readers see {@code wanted}; false when the 503 was sent instead. */
    private boolean await(DatasetRuntime runtime, long wanted, long maxWaitMillis, HttpServletResponse resp) throws IOException {
        Semaphore slots = waiters.computeIfAbsent(runtime, r -> new Semaphore(r.replicaReadSettings().maxWaiters()));
        if ( !slots.tryAcquire() ) {
            LOG.warn("Dataset '{}': a read waiting for version {} refused: {} reads already wait (cdc:minVersionMaxWaiters)", runtime.name(), wanted,
                     runtime.replicaReadSettings().maxWaiters());
            behind(runtime, wanted, resp, "too many reads already wait for a version here");
            return false;
        }
        try {
            long deadline = System.nanoTime() + maxWaitMillis * 1_000_000L;
            long pause = 1;
            while ( true ) {
                if ( visible(runtime, wanted) )
                    return true;
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if ( left <= 0 )
                    break;
                Thread.sleep(Math.min(pause, left));
                pause = Math.min(pause * 2, 20);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } finally {
            slots.release();
        }
        behind(runtime, wanted, resp, "version " + wanted + " was not here within " + maxWaitMillis + " ms");
        return false;
    }

    /** The version a read transaction begun now shows: what queries see, never a version still being committed. */
    private static long visibleVersion(DatasetRuntime runtime) {
        CapturingDatasetGraph dsg = runtime.dataset();
        try {
            return dsg.beginReadAtKnownVersion();
        } finally {
            dsg.end();
        }
    }

    /** Whether readers see {@code wanted}; the log's head, never behind what readers see, spares a transaction while it is below. */
    private static boolean visible(DatasetRuntime runtime, long wanted) {
        return runtime.log().headVersion() >= wanted && visibleVersion(runtime) >= wanted;
    }

    private static void behind(DatasetRuntime runtime, long wanted, HttpServletResponse resp, String why) throws IOException {
        long version = visibleVersion(runtime);
        long leader = runtime.follower().map(f -> f.status().leaderVersion()).orElse(version);
        resp.setHeader("Retry-After", "1");
        resp.setHeader(WriteGate.HDR_VERSION, Long.toString(version));
        send(resp, 503, "application/json",
             "{\"error\":\"" + why + "\",\"dataset\":\"" + runtime.name().replace("\"", "\\\"") + "\",\"minVersion\":" + wanted + ",\"version\":" + version
             + ",\"lagVersions\":" + Math.max(0, wanted - version) + ",\"leaderVersion\":" + Math.max(leader, version) + "}\n");
    }

    private static void ready(HttpServletRequest req, HttpServletResponse resp, DatasetRuntime runtime) throws IOException {
        ReplicaReadSettings settings = runtime.replicaReadSettings();
        String v = queryParam(req, "maxLagVersions");
        String m = queryParam(req, "maxLagMillis");
        long maxVersions = v == null ? settings.readyMaxLagVersions() : number(v);
        long maxMillis = m == null ? settings.readyMaxLagMillis() : number(m);
        if ( maxVersions < 0 || maxMillis < 0 ) {
            send(resp, 400, "text/plain", "maxLagVersions and maxLagMillis must be whole numbers, 0 or more.\n");
            return;
        }
        long version = visibleVersion(runtime);
        String role;
        String state;
        long lagVersions = 0;
        long lagMillis = 0;
        boolean ready;
        if ( runtime.follower().isEmpty() ) {
            role = "leader";
            state = runtime.state().name();
            ready = runtime.state() == DatasetRuntime.State.STARTED;
        } else {
            role = "follower";
            FollowerStatus s = runtime.follower().get().status();
            state = s.state().name();
            lagVersions = Math.max(0, s.leaderVersion() - version);
            // Caught up: no delay to speak of. Behind: how long the last version it applied took to get here.
            lagMillis = lagVersions == 0 ? 0 : s.lagMillis();
            ready = s.state() == FollowerState.FOLLOWING && lagVersions <= maxVersions && lagMillis <= maxMillis;
        }
        resp.setHeader(WriteGate.HDR_VERSION, Long.toString(version));
        resp.setHeader("Cache-Control", "no-store");
        if ( !ready )
            resp.setHeader("Retry-After", "1");
        send(resp, ready ? 200 : 503, "application/json",
             "{\"ready\":" + ready + ",\"role\":\"" + role + "\",\"state\":\"" + state + "\",\"version\":" + version + ",\"lagVersions\":" + lagVersions
             + ",\"lagMillis\":" + lagMillis + ",\"maxLagVersions\":" + maxVersions + ",\"maxLagMillis\":" + maxMillis + "}\n");
    }

    /** A whole number 0 or more, or -1. */
    private static long number(String s) {
        String t = s.trim();
        return t.matches("\\d{1,18}") ? Long.parseLong(t) : -1;
    }

    /** A parameter of the query string only: reading a form body here would take it from the service. */
    private static String queryParam(HttpServletRequest req, String name) {
        String q = req.getQueryString();
        if ( q == null )
            return null;
        for ( String kv : q.split("&") ) {
            int eq = kv.indexOf('=');
            if ( eq > 0 && kv.substring(0, eq).equals(name) )
                return URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    private static void send(HttpServletResponse resp, int status, String contentType, String body) throws IOException {
        resp.setStatus(status);
        resp.setContentType(contentType);
        resp.setCharacterEncoding("UTF-8");
        try (OutputStream out = resp.getOutputStream()) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
    }
}

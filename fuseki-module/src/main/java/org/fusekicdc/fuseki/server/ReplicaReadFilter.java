package org.fusekicdc.fuseki.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.fusekicdc.fuseki.config.ReplicaReadSettings;
import org.fusekicdc.fuseki.runtime.CapturedService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.ReplicaLag;
import org.fusekicdc.fuseki.runtime.VersionWaits;

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
    static final String HDR_MIN_VERSION = "X-CDC-Min-Version";
    static final String HDR_MAX_WAIT = "X-CDC-Max-Wait";

    private final List<CapturedService> services;
    private final String statusPath;

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
        String asked = req.getHeader(HDR_MAX_WAIT) != null ? req.getHeader(HDR_MAX_WAIT) : queryParam(req, "maxWait");
        long askedMillis = asked == null ? -1 : number(asked);
        if ( asked != null && askedMillis < 0 ) {
            send(resp, 400, "text/plain", "X-CDC-Max-Wait (or maxWait) must be a number of milliseconds (0 or more); got '" + asked + "'.\n");
            return;
        }
        long maxWait = runtime.versionWaits().maxWaitMillis(askedMillis);
        VersionWaits.Behind behind;
        try {
            behind = runtime.versionWaits().await(wanted, maxWait);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            behind = new VersionWaits.Behind(runtime.name(), "the server is stopping", wanted, ReplicaLag.of(runtime));
        }
        if ( behind != null ) {
            resp.setHeader("Retry-After", "1");
            resp.setHeader(WriteGate.HDR_VERSION, Long.toString(behind.lag().version()));
            send(resp, 503, "application/json", behind.json() + "\n");
            return;
        }
        chain.doFilter(request, response);
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
        ReplicaLag lag = ReplicaLag.of(runtime);
        boolean ready = lag.serving() && lag.lagVersions() <= maxVersions && lag.lagMillis() <= maxMillis;
        resp.setHeader(WriteGate.HDR_VERSION, Long.toString(lag.version()));
        resp.setHeader("Cache-Control", "no-store");
        if ( !ready )
            resp.setHeader("Retry-After", "1");
        send(resp, ready ? 200 : 503, "application/json",
             "{\"ready\":" + ready + "," + lag.jsonMembers() + ",\"maxLagVersions\":" + maxVersions + ",\"maxLagMillis\":" + maxMillis + "}\n");
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

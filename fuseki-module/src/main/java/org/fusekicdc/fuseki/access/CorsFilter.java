package org.fusekicdc.fuseki.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.apache.jena.fuseki.main.FusekiServer;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.FilterMapping;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHandler;
import org.fusekicdc.fuseki.config.AllowedOrigins;
import org.fusekicdc.fuseki.config.AllowedOrigins.Cors;

/**
 * CORS on fuseki-cdc's own paths (change feeds, live queries, snapshots, {@code /$/cdc}), from the
 * dataset's {@code cdc:allowedOrigins} instead of Fuseki's filter, which names any origin and
 * allows credentials. Whatever another filter set or sets later, a response here carries
 * {@code Access-Control-*} headers only as this filter decides: the origin with credentials when
 * listed, {@code *} without credentials for {@code "*"}, nothing otherwise. A preflight is answered
 * here (204, or 403 for an origin not allowed). Other paths are left to Fuseki.
 */
public final class CorsFilter implements Filter {
    private static final String PREFIX = "access-control-";
    private static final String EXPOSED = "X-CDC-Head-Version, X-CDC-Oldest-Version, X-CDC-Last-Version, X-CDC-Version, X-CDC-Patch-Id, Content-Disposition";

    private final Map<String, AllowedOrigins> endpoints;
    private final Map<String, AllowedOrigins> datasets;
    private final String adminPath;

    /**
     * @param endpoints the paths of the feed, live and snapshot endpoints, each with its dataset's origins
     * @param datasets  each captured dataset's name with its origins, for {@code adminPath/<name>/...}
     * @param adminPath the admin path ({@code /$/cdc}); its paths that name no dataset allow only origins every dataset allows
     */
    public CorsFilter(Map<String, AllowedOrigins> endpoints, Map<String, AllowedOrigins> datasets, String adminPath) {
        this.endpoints = Map.copyOf(endpoints);
        this.datasets = Map.copyOf(datasets);
        this.adminPath = adminPath;
    }

    /**
     * Put this filter before every other of the server, Fuseki's CORS filter included: that
     * one answers preflights itself, naming any origin.
     */
    public void installFirst(FusekiServer server) {
        ServletHandler handler = ServletContextHandler.getServletContextHandler(server.getServletContext()).getServletHandler();
        FilterHolder holder = new FilterHolder(this);
        holder.setName("fuseki-cdc-cors");
        handler.prependFilter(holder);
        FilterMapping mapping = new FilterMapping();
        mapping.setFilterName(holder.getName());
        mapping.setPathSpec("/*");
        mapping.setDispatcherTypes(EnumSet.of(DispatcherType.REQUEST));
        handler.prependFilterMapping(mapping);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest)request;
        HttpServletResponse resp = (HttpServletResponse)response;
        String path = req.getRequestURI().substring(req.getContextPath().length());
        Collection<AllowedOrigins> policy = policy(path);
        if ( policy == null ) {
            chain.doFilter(request, response);
            return;
        }
        for ( String name : resp.getHeaderNames() ) {
            if ( isCors(name) )
                resp.setHeader(name, null);
        }
        String origin = req.getHeader("Origin");
        Cors cors = origin == null ? Cors.NONE : policy.stream().map(o -> o.cors(origin)).min(Enum::compareTo).orElse(Cors.NONE);
        if ( cors != Cors.NONE ) {
            resp.setHeader("Access-Control-Allow-Origin", cors == Cors.ANY ? "*" : origin);
            if ( cors == Cors.WITH_CREDENTIALS )
                resp.setHeader("Access-Control-Allow-Credentials", "true");
            resp.setHeader("Access-Control-Expose-Headers", EXPOSED);
        }
        resp.addHeader("Vary", "Origin");
        if ( origin != null && "OPTIONS".equals(req.getMethod()) && req.getHeader("Access-Control-Request-Method") != null ) {
            preflight(resp, origin, cors);
            return;
        }
        chain.doFilter(req, new HttpServletResponseWrapper(resp) {
            @Override
            public void setHeader(String name, String value) {
                if ( !isCors(name) )
                    super.setHeader(name, value);
            }

            @Override
            public void addHeader(String name, String value) {
                if ( !isCors(name) )
                    super.addHeader(name, value);
            }
        });
    }

    private static void preflight(HttpServletResponse resp, String origin, Cors cors) throws IOException {
        if ( cors == Cors.NONE ) {
            resp.setStatus(HttpServletResponse.SC_FORBIDDEN);
            resp.setContentType("text/plain");
            resp.setCharacterEncoding("UTF-8");
            resp.getOutputStream().write(("Cross-origin requests from " + origin + " are not allowed here; the dataset's cdc:allowedOrigins"
                                          + " would have to list it (see docs/security.md).\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        resp.setHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS");
        resp.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Last-Event-ID, X-CDC-Min-Version, X-CDC-Max-Wait");
        resp.setHeader("Access-Control-Max-Age", "600");
        resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    /** The origins that apply to a path, or null when the path is not fuseki-cdc's. */
    private Collection<AllowedOrigins> policy(String path) {
        AllowedOrigins endpoint = endpoints.get(path);
        if ( endpoint != null )
            return List.of(endpoint);
        if ( !path.equals(adminPath) && !path.startsWith(adminPath + "/") )
            return null;
        String[] parts = path.substring(adminPath.length()).split("/");
        AllowedOrigins dataset = parts.length > 1 ? datasets.get(parts[1]) : null;
        return dataset != null ? List.of(dataset) : datasets.values();
    }

    private static boolean isCors(String header) {
        return header.toLowerCase(Locale.ROOT).startsWith(PREFIX);
    }
}

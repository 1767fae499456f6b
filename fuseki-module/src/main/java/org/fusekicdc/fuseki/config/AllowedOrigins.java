package org.fusekicdc.fuseki.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which web pages may read a captured dataset's endpoints from a browser ({@code cdc:allowedOrigins}):
 * the CORS answer on the feed, live query and admin resources ({@link #cors}), and the WebSocket
 * handshake check ({@link #allows}).
 * <p>
 * WebSocket handshakes: browsers send a WebSocket handshake with
 * the user's cookies or cached credentials whatever page opens it, and no CORS check stands in
 * the way, so without this any site could subscribe as the user. A handshake is accepted when it
 * has no {@code Origin} (not a browser), when its origin is the server's own (the {@code Host}
 * it was sent to), or when the origin is listed ({@code "*"}: any).
 */
public final class AllowedOrigins {
    public static final AllowedOrigins SAME_ORIGIN = new AllowedOrigins(Set.of(), false);

    private final Set<String> origins;
    private final boolean any;

    private AllowedOrigins(Set<String> origins, boolean any) {
        this.origins = origins;
        this.any = any;
    }

    /**
     * Parse a list of origins separated by spaces or commas, such as
     * {@code "https://app.example.org http://localhost:8080"}, or {@code "*"}.
     *
     * @throws IllegalArgumentException naming the entry that is not an origin
     */
    public static AllowedOrigins parse(String list) {
        Set<String> origins = new LinkedHashSet<>();
        boolean any = false;
        for ( String entry : list.trim().split("[\\s,]+") ) {
            if ( entry.isEmpty() )
                continue;
            if ( entry.equals("*") ) {
                any = true;
                continue;
            }
            String origin = normalize(entry);
            if ( origin == null )
                throw new IllegalArgumentException("'" + entry + "' is not an origin: write scheme://host or scheme://host:port"
                                                   + " (http or https, no path), as a browser sends it, or * for any");
            origins.add(origin);
        }
        return new AllowedOrigins(Set.copyOf(origins), any);
    }

    /**
     * Whether a handshake with this {@code Origin} header, sent to this {@code Host}, may open a
     * WebSocket.
     */
    public boolean allows(String originHeader, String hostHeader) {
        if ( originHeader == null || any )
            return true;
        String origin = normalize(originHeader.trim());
        if ( origin == null )
            return false;    // "null" (sandboxed pages, files) or garbage
        return origins.contains(origin) || sameOrigin(origin, hostHeader);
    }

    /** What a cross-origin request from a browser page of this origin may have. */
    public enum Cors {
        /** No CORS headers: the browser keeps the response from the page. */
        NONE,
        /** {@code Access-Control-Allow-Origin: *}: readable, but never with the user's credentials. */
        ANY,
        /** The origin named, with {@code Access-Control-Allow-Credentials: true}. */
        WITH_CREDENTIALS
    }

    /** The CORS answer for a request with this {@code Origin} header: credentials only for an origin listed by name. */
    public Cors cors(String originHeader) {
        String origin = originHeader == null ? null : normalize(originHeader.trim());
        if ( origin != null && origins.contains(origin) )
            return Cors.WITH_CREDENTIALS;
        return any && origin != null ? Cors.ANY : Cors.NONE;
    }

    /** The origin's host and port against the Host header; a Host without a port means the scheme's default. */
    private static boolean sameOrigin(String origin, String hostHeader) {
        if ( hostHeader == null || hostHeader.isBlank() )
            return false;
        URI o = URI.create(origin);
        int originPort = o.getPort() != -1 ? o.getPort() : defaultPort(o.getScheme());
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        int hostPort = originPort;
        int colon = host.lastIndexOf(':');
        if ( colon > host.lastIndexOf(']') ) {
            try {
                hostPort = Integer.parseInt(host.substring(colon + 1));
            } catch (NumberFormatException ex) {
                return false;
            }
            host = host.substring(0, colon);
        }
        return host.equals(o.getHost()) && hostPort == originPort;
    }

    /** {@code scheme://host[:port]}, lower case, without the scheme's default port; null if not such an origin. */
    private static String normalize(String s) {
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException ex) {
            return null;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if ( !"http".equals(scheme) && !"https".equals(scheme) )
            return null;
        if ( uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null )
            return null;
        if ( uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/") )
            return null;
        int port = uri.getPort();
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        return scheme + "://" + host + (port == -1 || port == defaultPort(scheme) ? "" : ":" + port);
    }

    private static int defaultPort(String scheme) {
        return "https".equals(scheme) ? 443 : 80;
    }

    @Override
    public String toString() {
        return any ? "*" : origins.isEmpty() ? "(same origin only)" : String.join(" ", origins);
    }
}

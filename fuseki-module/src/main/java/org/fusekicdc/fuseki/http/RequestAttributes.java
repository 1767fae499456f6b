package org.fusekicdc.fuseki.http;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.fusekicdc.core.wire.PatchHeaders;

/**
 * Carries the authenticated user and request id of an HTTP request to the patch its write
 * produces. A servlet filter sets them for the request's thread, which is the thread that
 * commits the write transaction.
 * <p>
 * A write may give a commit message in the {@code X-CDC-Commit-Message} header (at most
 * {@value #MAX_MESSAGE} characters; percent-encoded UTF-8 is decoded), recorded in the patch's
 * {@code message} header beside the user and the request id.
 * <p>
 * The request id is the client's {@code X-Request-ID} header when it sends a sensible one,
 * otherwise a fresh one; either way it is echoed in the response's {@code X-Request-ID}.
 */
public final class RequestAttributes implements Filter {
    public static final String REQUEST_ID_HEADER = "X-Request-ID";
    public static final String MESSAGE_HEADER = "X-CDC-Commit-Message";
    public static final int MAX_MESSAGE = 1000;
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,200}");
    private static final ThreadLocal<Map<String, String>> CURRENT = new ThreadLocal<>();

    /** The headers for a patch committed on this thread now; empty outside a request. */
    public static Map<String, String> current() {
        Map<String, String> m = CURRENT.get();
        return m == null ? Map.of() : m;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        if ( !(request instanceof HttpServletRequest req) || !(response instanceof HttpServletResponse resp) ) {
            chain.doFilter(request, response);
            return;
        }
        String requestId = req.getHeader(REQUEST_ID_HEADER);
        if ( requestId == null || !SAFE_ID.matcher(requestId).matches() )
            requestId = UUID.randomUUID().toString();
        resp.setHeader(REQUEST_ID_HEADER, requestId);
        Map<String, String> attrs = new LinkedHashMap<>();
        if ( req.getRemoteUser() != null )
            attrs.put(PatchHeaders.USER, req.getRemoteUser());
        attrs.put(PatchHeaders.REQUEST_ID, requestId);
        String message = req.getHeader(MESSAGE_HEADER);
        if ( message != null && !message.isBlank() ) {
            String decoded;
            try {
                decoded = URLDecoder.decode(message.replace("+", "%2B"), StandardCharsets.UTF_8).strip();
            } catch (IllegalArgumentException ex) {
                decoded = null;
            }
            if ( decoded == null || decoded.length() > MAX_MESSAGE || decoded.chars().anyMatch(c -> c < 0x20 && c != '\t') ) {
                resp.sendError(400, "The " + MESSAGE_HEADER + " header must be a commit message of at most " + MAX_MESSAGE
                                    + " characters without line breaks (percent-encode UTF-8), got " + message.length() + " characters");
                return;
            }
            attrs.put(PatchHeaders.MESSAGE, decoded);
        }
        CURRENT.set(java.util.Collections.unmodifiableMap(attrs));
        try {
            chain.doFilter(request, response);
        } finally {
            CURRENT.remove();
        }
    }
}

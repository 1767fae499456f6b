package org.fusekicdc.fuseki.admin;

import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Who may use the admin operations, as for Fuseki's own {@code /$/} administration: a user
 * Fuseki has authenticated (server-level authentication, {@code --passwd} / {@code fuseki:allowedUsers},
 * covers {@code /$/cdc} like every other path), otherwise only a request from this machine.
 */
final class AdminAccess {
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]", "::1", "[::1]");

    private AdminAccess() {}

    static boolean allowed(HttpServletRequest req) {
        return req.getRemoteUser() != null || isLoopback(req.getRemoteAddr());
    }

    static boolean isLoopback(String addr) {
        return addr != null && (LOOPBACK.contains(addr) || addr.startsWith("127."));
    }

    /** Who made the request, for the log: the user if authenticated, and the address. */
    static String who(HttpServletRequest req) {
        return (req.getRemoteUser() != null ? "user " + req.getRemoteUser() + " at " : "") + req.getRemoteAddr();
    }
}

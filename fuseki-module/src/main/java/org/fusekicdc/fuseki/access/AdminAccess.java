package org.fusekicdc.fuseki.access;

import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;

/**
 * Who may use the admin operations of a captured dataset. When Fuseki authenticates users
 * (a password file, {@code --passwd}), the users the dataset's {@code cdc:adminUsers} lists, and
 * no one else: being logged in is not enough, and coming from this machine counts for nothing.
 * A server without authentication has no users, so there requests from this machine are the
 * admin. Fuseki itself has no admin role to reuse: its server-level {@code fuseki:allowedUsers}
 * says who may use the server at all.
 */
public final class AdminAccess {
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]", "::1", "[::1]");

    private AdminAccess() {}

    /** @param adminUsers the dataset's {@code cdc:adminUsers} */
    public static boolean isAdmin(HttpServletRequest req, Set<String> adminUsers) {
        if ( !authenticationOn(req) )
            return isLoopback(req.getRemoteAddr());
        return req.getRemoteUser() != null && adminUsers.contains(req.getRemoteUser());
    }

    /** Why a request is not the admin, and what would make it one. */
    public static String refusal(HttpServletRequest req, String dataset, Set<String> adminUsers) {
        if ( !authenticationOn(req) )
            return "fuseki-cdc admin operations are allowed only from this machine while the server does not authenticate users"
                   + " (start it with a password file and list the admins in cdc:adminUsers to administer it from elsewhere).";
        String who = req.getRemoteUser() == null ? "An anonymous request" : "User " + req.getRemoteUser();
        return who + " is not an admin of dataset '" + dataset + "': authenticate as one of the users its cdc:adminUsers lists "
               + (adminUsers.isEmpty() ? "(it lists none; add one to the configuration)" : "") + ". See docs/security.md.";
    }

    /** Whether Fuseki authenticates users on this server (a security handler is installed). */
    public static boolean authenticationOn(HttpServletRequest req) {
        ServletContextHandler handler = ServletContextHandler.getServletContextHandler(req.getServletContext());
        return handler != null && handler.getSecurityHandler() != null;
    }

    public static boolean isLoopback(String addr) {
        return addr != null && (LOOPBACK.contains(addr) || addr.startsWith("127."));
    }

    /** Who made the request, for the log: the user if authenticated, and the address. */
    public static String who(HttpServletRequest req) {
        return (req.getRemoteUser() != null ? "user " + req.getRemoteUser() + " at " : "") + req.getRemoteAddr();
    }
}

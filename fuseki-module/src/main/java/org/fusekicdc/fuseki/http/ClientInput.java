package org.fusekicdc.fuseki.http;

import org.apache.jena.fuseki.servlets.HttpAction;

/** What a request says about its client, in the forms limits and error messages use. */
public final class ClientInput {
    /** Longest piece of a client's input quoted back in an error message. */
    static final int MAX_ECHO_CHARS = 60;

    private ClientInput() {}

    /** The client a per-client limit counts against: the authenticated user, else the remote address. */
    public static String clientId(HttpAction action) {
        return action.getUser() != null ? userClient(action.getUser()) : "addr:" + action.getRequest().getRemoteAddr();
    }

    /** The client name of an authenticated user's requests and subscriptions. */
    public static String userClient(String user) {
        return "user:" + user;
    }

    /**
     * A value the client sent, quoted for an error message: whole when short, else its start and
     * its length, so that a huge header or parameter is not sent back whole.
     */
    public static String quote(String value) {
        if ( value == null )
            return "nothing";
        if ( value.length() <= MAX_ECHO_CHARS )
            return "'" + value + "'";
        return "'" + value.substring(0, MAX_ECHO_CHARS) + "...' (" + value.length() + " characters)";
    }
}

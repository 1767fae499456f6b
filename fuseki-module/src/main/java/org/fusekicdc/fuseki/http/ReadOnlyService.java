package org.fusekicdc.fuseki.http;

import org.apache.jena.fuseki.servlets.ActionREST;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.web.HttpSC;

/**
 * An endpoint that only answers reads: {@code OPTIONS} lists the methods it takes, and every
 * method that would write answers 405 with an {@code Allow} header and a message naming the
 * endpoint and the method to use instead.
 */
public abstract class ReadOnlyService extends ActionREST {
    private final String allow;
    private final String endpoint;

    /**
     * @param allow    the methods taken, as the {@code Allow} header lists them ({@code "GET, HEAD, OPTIONS"})
     * @param endpoint what the 405 message calls this endpoint ({@code "the change feed"})
     */
    protected ReadOnlyService(String allow, String endpoint) {
        this.allow = allow;
        this.endpoint = endpoint;
    }

    /** Requests are checked where they are answered. */
    @Override
    public void validate(HttpAction action) {}

    @Override
    protected void doOptions(HttpAction action) {
        action.setResponseHeader("Allow", allow);
        action.setResponseStatus(HttpSC.OK_200);
    }

    @Override protected final void doPost(HttpAction action)   { notAllowed(action); }
    @Override protected final void doPut(HttpAction action)    { notAllowed(action); }
    @Override protected final void doDelete(HttpAction action) { notAllowed(action); }
    @Override protected final void doPatch(HttpAction action)  { notAllowed(action); }

    private void notAllowed(HttpAction action) {
        action.setResponseHeader("Allow", allow);
        ServletOps.errorMethodNotAllowed(action.getRequestMethod() + ": " + endpoint + " is read-only; use GET");
    }
}

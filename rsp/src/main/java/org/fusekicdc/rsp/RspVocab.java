package org.fusekicdc.rsp;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;

/**
 * The IRIs of the stream vocabulary, in the {@code cdc:} namespace of the configuration
 * ({@code https://w3id.org/fuseki-cdc#}).
 */
public final class RspVocab {
    public static final String NS = "https://w3id.org/fuseki-cdc#";

    /** The stream of quads added by each commit. */
    public static final Node ADDED = NodeFactory.createURI(NS + "added");
    /** The stream of quads removed by each commit. */
    public static final Node REMOVED = NodeFactory.createURI(NS + "removed");
    /**
     * Inside a window: {@code ?s cdc:time ?t} for each event about subject {@code ?s} in the
     * window, {@code ?t} its time (commit time, or the event time) as an {@code xsd:dateTime}.
     */
    public static final Node TIME = NodeFactory.createURI(NS + "time");
    /** Inside a window: {@code ?s cdc:version ?v}, the version of the commit behind an event about {@code ?s}. */
    public static final Node VERSION = NodeFactory.createURI(NS + "version");

    private RspVocab() {}
}

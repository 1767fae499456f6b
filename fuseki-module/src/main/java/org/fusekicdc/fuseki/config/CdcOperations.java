package org.fusekicdc.fuseki.config;

import org.apache.jena.fuseki.server.Operation;

/** The Fuseki operations the module adds, usable in {@code fuseki:endpoint} like Fuseki's own. */
public final class CdcOperations {
    /** {@code cdc:changes}: the change feed of a captured dataset. */
    public static final Operation CHANGES = Operation.alloc(VocabCdc.opChanges, "cdc-changes", "fuseki-cdc change feed");
    /** {@code cdc:live}: live SPARQL queries on a captured dataset. */
    public static final Operation LIVE = Operation.alloc(VocabCdc.opLive, "cdc-live", "fuseki-cdc live queries");

    /** {@code cdc:history}: which versions changed a resource, with who, when and why. */
    public static final Operation HISTORY = Operation.alloc(VocabCdc.opHistory, "cdc-history", "fuseki-cdc resource history");

    /** {@code cdc:snapshot}: a consistent dump of a captured dataset at a version, to start a follower. */
    public static final Operation SNAPSHOT = Operation.alloc(VocabCdc.opSnapshot, "cdc-snapshot", "fuseki-cdc snapshot");

    /** {@code cdc:ldes}: the change log as a Linked Data Event Stream. */
    public static final Operation LDES = Operation.alloc(VocabCdc.opLdes, "cdc-ldes", "fuseki-cdc Linked Data Event Stream");

    private CdcOperations() {}

    /** Make sure the operations exist before a configuration file names them. */
    public static void init() {}
}

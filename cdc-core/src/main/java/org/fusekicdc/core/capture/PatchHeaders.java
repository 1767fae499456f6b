package org.fusekicdc.core.capture;

import org.apache.jena.rdfpatch.RDFPatchConst;

/** Names of the headers fuseki-cdc puts on every patch it records. */
public final class PatchHeaders {
    /** Unique id of the patch, {@code <uuid:...>}. */
    public static final String ID = RDFPatchConst.ID;
    /** Id of the previous patch of the same dataset; absent on the first one. */
    public static final String PREV = RDFPatchConst.PREV;
    /** 1, 2, 3, ... without gaps per dataset. */
    public static final String VERSION = "version";
    /** Commit time, {@code xsd:dateTime} in UTC. */
    public static final String TIMESTAMP = "timestamp";
    /** The dataset's name. */
    public static final String DATASET = "dataset";
    /** The authenticated user of the request that wrote the change, when there was one. */
    public static final String USER = "user";
    /** The id of the HTTP request that wrote the change, when there was one. */
    public static final String REQUEST_ID = "requestId";

    private PatchHeaders() {}
}

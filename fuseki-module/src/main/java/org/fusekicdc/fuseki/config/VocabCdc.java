package org.fusekicdc.fuseki.config;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;

/** The {@code cdc:} assembler vocabulary, namespace {@value #NS}. */
public final class VocabCdc {
    public static final String NS = "https://w3id.org/fuseki-cdc#";
    public static final String PREFIX = "cdc";

    /** A dataset whose committed transactions are recorded in a change log. */
    public static final Resource CapturedDataset = resource("CapturedDataset");

    public static final Property dataset = property("dataset");
    public static final Property name = property("name");
    public static final Property logDirectory = property("logDirectory");
    public static final Property fsync = property("fsync");
    public static final Property segmentBytes = property("segmentBytes");
    public static final Property spillThreshold = property("spillThreshold");
    public static final Property spillDirectory = property("spillDirectory");
    public static final Property snapshotDirectory = property("snapshotDirectory");
    public static final Property retainVersions = property("retainVersions");
    public static final Property retainAge = property("retainAge");
    public static final Property retainBytes = property("retainBytes");
    public static final Property retentionOverridesReaders = property("retentionOverridesReaders");
    public static final Property startNewHistory = property("startNewHistory");
    public static final Property historySnapshotEvery = property("historySnapshotEvery");
    public static final Property historySnapshotsKept = property("historySnapshotsKept");
    public static final Property historyIndex = property("historyIndex");
    public static final Property sink = property("sink");
    public static final Property source = property("source");
    public static final Property deadLetterDirectory = property("deadLetterDirectory");
    public static final Property maxLagVersions = property("maxLagVersions");
    public static final Property onLag = property("onLag");
    public static final Property acknowledgeWrites = property("acknowledgeWrites");
    public static final Property acknowledgeTimeoutMillis = property("acknowledgeTimeoutMillis");
    public static final Property retryInitialMillis = property("retryInitialMillis");
    public static final Property retryMaxMillis = property("retryMaxMillis");
    public static final Property maxGroupVersions = property("maxGroupVersions");
    public static final Property liveMaxSubscriptions = property("liveMaxSubscriptions");
    public static final Property liveMaxPerClient = property("liveMaxPerClient");
    public static final Property liveMaxResultRows = property("liveMaxResultRows");
    public static final Property liveQueryTimeoutSeconds = property("liveQueryTimeoutSeconds");
    public static final Property liveCostlyQueryMillis = property("liveCostlyQueryMillis");
    public static final Property liveCostlyThreads = property("liveCostlyThreads");
    public static final Property liveCostlyBusyPercent = property("liveCostlyBusyPercent");
    public static final Property liveHeartbeatSeconds = property("liveHeartbeatSeconds");
    public static final Property allowedOrigins = property("allowedOrigins");
    public static final Property adminUsers = property("adminUsers");
    public static final Property feedMaxStreams = property("feedMaxStreams");
    public static final Property feedHeartbeatSeconds = property("feedHeartbeatSeconds");
    public static final Property feedMaxStreamsPerClient = property("feedMaxStreamsPerClient");
    public static final Property slowReaderSeconds = property("slowReaderSeconds");
    public static final Property minVersionWaitMillis = property("minVersionWaitMillis");
    public static final Property minVersionMaxWaiters = property("minVersionMaxWaiters");
    public static final Property readyMaxLagVersions = property("readyMaxLagVersions");
    public static final Property readyMaxLagMillis = property("readyMaxLagMillis");
    public static final Property ldesPageSize = property("ldesPageSize");
    public static final Property ldesMaxAgeSeconds = property("ldesMaxAgeSeconds");
    public static final Property follow = property("follow");
    public static final Property leaderDataset = property("leaderDataset");
    public static final Property leaderUrl = property("leaderUrl");
    public static final Property snapshotUrl = property("snapshotUrl");
    public static final Property snapshotAuthorization = property("snapshotAuthorization");
    public static final Property onBadMessage = property("onBadMessage");
    public static final Property onGap = property("onGap");
    public static final Property continuousQuery = property("continuousQuery");
    public static final Property query = property("query");
    public static final Property outputGraph = property("outputGraph");
    public static final Property lateGraph = property("lateGraph");
    public static final Property streamTickMillis = property("streamTickMillis");
    public static final Property streamMaxQueries = property("streamMaxQueries");
    public static final Property streamMaxLagVersions = property("streamMaxLagVersions");

    /** The change feed operation, for {@code fuseki:endpoint [ fuseki:operation cdc:changes ]}. */
    public static final String opChanges = NS + "changes";
    public static final String opHistory = NS + "history";

    /** The live query operation, for {@code fuseki:endpoint [ fuseki:operation cdc:live ]}. */
    public static final String opLive = NS + "live";

    /** The snapshot operation, for {@code fuseki:endpoint [ fuseki:operation cdc:snapshot ]}. */
    public static final String opSnapshot = NS + "snapshot";

    /** The Linked Data Event Stream operation, for {@code fuseki:endpoint [ fuseki:operation cdc:ldes ]}. */
    public static final String opLdes = NS + "ldes";

    private VocabCdc() {}

    private static Resource resource(String local) {
        return ResourceFactory.createResource(NS + local);
    }

    private static Property property(String local) {
        return ResourceFactory.createProperty(NS + local);
    }
}

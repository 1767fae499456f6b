package org.fusekicdc.core.wire;

import org.apache.jena.rdfpatch.RDFPatchConst;

/** Names of the headers fuseki-cdc puts on every patch it records. */
public final class PatchHeaders {
    /** Unique id of the patch, {@code <uuid:...>}. */
    public static final String ID = RDFPatchConst.ID;
    /** Id of the previous patch of the same dataset; absent on the first one. */
    public static final String PREV = RDFPatchConst.PREV;
    /** 1, 2, 3, ... without gaps per dataset. */
    public static final String VERSION = "version";
    /**
     * The dataset's history: absent (0) on its first, one more for each new history started over it
     * ({@code cdc:startNewHistory}), where versions begin again at 1.
     */
    public static final String EPOCH = "epoch";
    /** Commit time, {@code xsd:dateTime} in UTC. */
    public static final String TIMESTAMP = "timestamp";
    /** The dataset's name. */
    public static final String DATASET = "dataset";
    /** The authenticated user of the request that wrote the change, when there was one. */
    public static final String USER = "user";
    /** The id of the HTTP request that wrote the change, when there was one. */
    public static final String REQUEST_ID = "requestId";
    /** The commit message the writer gave (the {@code X-CDC-Commit-Message} request header), when it gave one. */
    public static final String MESSAGE = "message";
    /** On a revert's patch: the version it reverts. */
    public static final String REVERTS = "reverts";
    /** On a revert's patch: the patch id of the version it reverts, {@code uuid:...}. */
    public static final String REVERTS_ID = "revertsId";
    /** On a revert's patch: who asked for the revert (the admin user, or the client's address when unauthenticated). */
    public static final String REVERTED_BY = "revertedBy";
    /**
     * {@code true} on the empty patch a follower commits as its first version when it is promoted
     * leader; once on the topic, it fences the old leader.
     */
    public static final String PROMOTED = "promoted";
    /** The name of the source (e.g. a PostgreSQL source) whose transaction the patch applies. */
    public static final String SOURCE = "source";
    /** The kind of the source's database connector, e.g. {@code postgresql}. */
    public static final String SOURCE_CONNECTOR = "sourceConnector";
    /** The source's log position of the transaction: for PostgreSQL the commit LSN, e.g. {@code 0/1A2B3C8}. */
    public static final String SOURCE_LSN = "sourceLsn";
    /** The source's binlog position of the transaction, for MariaDB/MySQL: {@code file:offset}, e.g. {@code mysql-bin.000003:1234}. */
    public static final String SOURCE_BINLOG = "sourceBinlog";
    /** The source transaction's global transaction id, for MariaDB/MySQL, e.g. {@code 0-1-42}. */
    public static final String SOURCE_GTID = "sourceGtid";
    /** The source database's transaction id. */
    public static final String SOURCE_TXID = "sourceTxId";
    /** {@code true} on patches that load a source's initial snapshot (no single source transaction). */
    public static final String SOURCE_SNAPSHOT = "sourceSnapshot";
    /**
     * On the first patch of a source's snapshot: the mapped tables whose triples it clears before
     * loading their rows (comma-separated), so that a snapshot taken again leaves no row the
     * database no longer has; the only change of that patch when the tables are all empty.
     */
    public static final String SOURCE_SNAPSHOT_CLEARED = "sourceSnapshotCleared";
    /**
     * On a patch that applies several source transactions at once (the source was behind): how
     * many. Its position and transaction headers are those of the last of them.
     */
    public static final String SOURCE_TRANSACTIONS = "sourceTransactions";

    private PatchHeaders() {}
}

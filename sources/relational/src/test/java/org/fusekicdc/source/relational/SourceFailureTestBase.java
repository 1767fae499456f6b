package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.source.SourceStatus.State;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a user sees when the database cannot be reached or sends a row the mapping cannot take,
 * for every relational source: a table {@code item (id, n, label)}, ex:n an xsd:integer. A
 * subclass per database says how to reach it and adds its own failures (restarts, a lost
 * position).
 */
public abstract class SourceFailureTestBase extends SourceTestBase {

    protected SourceFailureTestBase(Supplier<TestSourceDb> newDatabase) {
        super(newDatabase, "item (id int PRIMARY KEY, n text, label text)");
    }

    @BeforeEach
    protected final void openDataset() {
        open();
    }

    /**
     * The source of table item on the database at {@code host}:{@code port}, streaming from now on
     * (no snapshot of rows), with quick retries, then {@code extra} (options each ending with
     * {@code ;}), ex:n from {@code column} as an xsd:integer and ex:label from label.
     */
    protected abstract String config(String host, int port, String extra, String column);

    /** The database's own host and port. */
    protected abstract String host();

    protected abstract int port();

    /** Wait until the source follows the database's changes. */
    protected abstract void awaitStreaming() throws InterruptedException;

    /** The item table's mapping, ending a source description. */
    protected String itemMapping(String column) {
        return """
                cdc:table [
                    cdc:tableName "%s" ;
                    cdc:subjectTemplate "http://example.org/item/{id}" ;
                    cdc:column [ cdc:columnName "%s" ; cdc:predicate ex:n ; cdc:datatype xsd:integer ] ,
                               [ cdc:columnName "label" ; cdc:predicate ex:label ]
                ] .
            """.formatted(table("item"), column);
    }

    protected Set<String> labels() {
        return Txn.calculateRead(dsg, () -> {
            Set<String> s = new TreeSet<>();
            dsg.find(null, null, NodeFactory.createURI(EX + "label"), null).forEachRemaining(q -> s.add(q.getObject().getLiteralLexicalForm()));
            return s;
        });
    }

    /** The database transactions the log's patches apply (a patch applies several, sourceTransactions, when the source was behind). */
    protected long appliedTransactions() {
        long n = 0;
        for ( var r : log.readAfter(0, Integer.MAX_VALUE) ) {
            var group = LogReplay.patch(r).getHeader(PatchHeaders.SOURCE_TRANSACTIONS);
            n += group == null ? 1 : Long.parseLong(group.getLiteralLexicalForm());
        }
        return n;
    }

    @Test
    void unreachableDatabaseKeepsRetryingWithTheCauseAndTheFixInTheStatus() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        start(config(host(), port, "", "n"));   // does not throw: the database may come later
        TestSupport.await("status RETRYING", WAIT, () -> source.status().state() == State.RETRYING);
        String msg = source.status().message();
        assertTrue(msg.contains("not reachable") && msg.contains(":" + port) && msg.contains("cdc:host") && msg.contains("cdc:port"), msg);
    }

    @Test
    void anUnmappableRowStopsTheSourceNamingTableKeyAndReasonAndLeavesItsTransactionOut() throws Exception {
        start(config(host(), port(), "", "n"));
        awaitStreaming();
        database.sql("INSERT INTO " + table("item") + " VALUES (1, '1', 'one')");
        TestSupport.await("first change applied", WAIT, () -> log.publishedVersion() == 1);
        database.txn("INSERT INTO " + table("item") + " VALUES (2, '2', 'two')", "INSERT INTO " + table("item") + " VALUES (3, 'three', 'three')");
        TestSupport.await("status FAILED", WAIT, () -> source.status().state() == State.FAILED);
        String msg = source.status().message();
        assertTrue(msg.contains("table " + table("item")) && msg.contains("id=3") && msg.contains("\"three\" is not a valid xsd:integer")
                   && msg.contains("cdc:onUnmappableRow"), msg);
        assertEquals(1, log.publishedVersion(), "nothing of the failed transaction is applied");
        assertEquals(Set.of("one"), labels());
    }

    @Test
    void anUnmappableRowIsSkippedWhenConfiguredAndTheRestOfItsTransactionApplied() throws Exception {
        start(config(host(), port(), "cdc:onUnmappableRow \"skip\" ;", "n"));
        awaitStreaming();
        database.txn("INSERT INTO " + table("item") + " VALUES (2, '2', 'two')", "INSERT INTO " + table("item") + " VALUES (3, 'three', 'three')");
        TestSupport.await("transaction applied", WAIT, () -> log.publishedVersion() == 1);
        assertEquals(Set.of("two"), labels());
        assertEquals(State.RUNNING, source.status().state());
    }
}

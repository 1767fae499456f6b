package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.r2rml.R2rmlMapping;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A source with an R2RML mapping (cdc:r2rmlMapping, a file beside the configuration): after the
 * snapshot and after each transaction of inserts, updates and deletes over every natural type, a
 * join whose parent key changes, and a TRUNCATE, the dataset equals a fresh evaluation of the
 * whole mapping over the database; each transaction is one patch. A subclass per database gives
 * its {@link ItemTypes}.
 */
public abstract class R2rmlSourceContract extends SourceTestBase {
    /**
     * A database's table of every type it maps, and rows in its SQL.
     *
     * @param itemColumns the columns of {@code item}: id, name, code (the join key), then one per typed column
     * @param typedColumns the columns of {@code item} of the types under test, each mapped to its natural literal
     * @param lamp item 1 with every column set, code L-1
     * @param desk item 3 with every column set, code D-3, values at the edges (zero, negative, false, midnight)
     * @param lampUpdate the SET clause of an update of item 1: its price, flag and timestamp changed, its name set to NULL
     */
    public record ItemTypes(String itemColumns, List<String> typedColumns, String lamp, String desk, String lampUpdate) {}

    private final ItemTypes types;
    private R2rmlMapping mapping;

    protected R2rmlSourceContract(Supplier<TestSourceDb> newDatabase, ItemTypes types) {
        super(newDatabase, "item (" + types.itemColumns() + ")", "tag (id int PRIMARY KEY, label varchar(20), item_code varchar(8))");
        this.types = types;
    }

    @BeforeEach
    protected final void writeMapping() throws Exception {
        Files.writeString(work.resolve("shop.r2rml.ttl"), R2rmlSourceChecks.mapping(database.namespace(), types.typedColumns()));
        mapping = R2rmlMapping.read(work.resolve("shop.r2rml.ttl"));
    }

    private void start() {
        startWith("");
    }

    /** The source with {@code options} (each ending with {@code ;}) before its mapping. */
    private void startWith(String options) {
        start(database.sourceConfig(options + " cdc:r2rmlMapping <%s> .".formatted(work.resolve("shop.r2rml.ttl").toUri())));
    }

    private Set<String> dataset() {
        return R2rmlSourceChecks.datasetLines(dsg);
    }

    private void awaitEqualsFreshMapping(String after) throws InterruptedException {
        R2rmlSourceChecks.awaitEqualsFreshMapping(after, WAIT, dsg, mapping, database::connect, () -> source.status());
    }

    @Test
    public void theDatasetEqualsAFreshMappingAfterSnapshotChangesAndTruncate() throws Exception {
        String item = database.namespace() + ".item", tag = database.namespace() + ".tag";
        database.sql("INSERT INTO " + item + " VALUES (" + types.lamp() + ")",
                     "INSERT INTO " + item + " (id, name) VALUES (2, 'Bare')",
                     "INSERT INTO " + tag + " VALUES (1, 'bright', 'L-1'), (2, 'none', NULL)");
        open();
        start();
        TestSupport.await("snapshot", WAIT, () -> source.status().state() == SourceStatus.State.RUNNING && log.publishedVersion() >= 1);
        awaitEqualsFreshMapping("the snapshot");
        assertTrue(dataset().stream().anyMatch(l -> l.contains("<http://example.org/tags>")), "the join gives a triple");
        assertEquals("true", LogReplay.patch(log.read(log.publishedVersion())).getHeader(PatchHeaders.SOURCE_SNAPSHOT).getLiteralLexicalForm());

        long before = log.headVersion();
        database.txn("INSERT INTO " + item + " VALUES (" + types.desk() + ")",
                     "UPDATE " + item + " SET " + types.lampUpdate() + " WHERE id = 1",
                     "INSERT INTO " + tag + " VALUES (3, 'wood', 'D-3')");
        awaitEqualsFreshMapping("inserts and updates of every type");
        assertEquals(before + 1, log.headVersion(), "one database transaction of three statements over two tables, one patch");
        assertEquals(database.connector(), LogReplay.patch(log.read(before + 1)).getHeader(PatchHeaders.SOURCE_CONNECTOR).getLiteralLexicalForm());

        // The parent's join key changes: the child's triple follows it.
        database.sql("UPDATE " + item + " SET code = 'L-9' WHERE id = 1", "UPDATE " + tag + " SET item_code = 'L-9' WHERE id = 2");
        awaitEqualsFreshMapping("a join key changed on both sides");
        database.sql("DELETE FROM " + item + " WHERE id = 3", "DELETE FROM " + tag + " WHERE id = 1");
        awaitEqualsFreshMapping("deletes");
        database.sql("TRUNCATE TABLE " + tag);
        awaitEqualsFreshMapping("TRUNCATE of one table");
        assertTrue(dataset().stream().anyMatch(l -> l.contains("/item/1>")) && dataset().stream().noneMatch(l -> l.contains("/tag/")),
                   "the truncated table's triples are gone, the other table's stay");
        TestSupport.await("published", WAIT, () -> log.publishedVersion() >= log.headVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    public void aTransactionLargerThanTheMemoryBudgetGoesToDiskAndTheDatasetEqualsAFreshMapping() throws Exception {
        String item = database.namespace() + ".item", tag = database.namespace() + ".tag";
        // A row for the snapshot: once its patch is in, every later row is streamed, not snapshotted.
        database.sql("INSERT INTO " + item + " (id, name, code) VALUES (0, 'marker', 'M-0')");
        open();
        startWith("cdc:spillThresholdRows 20 ;");
        TestSupport.await("snapshot", WAIT, () -> source.status().state() == SourceStatus.State.RUNNING && log.publishedVersion() >= 1);
        StringBuilder items = new StringBuilder("INSERT INTO " + item + " (id, name, code) VALUES ");
        StringBuilder tags = new StringBuilder("INSERT INTO " + tag + " VALUES ");
        for ( int i = 1 ; i <= 100 ; i++ ) {
            items.append(i > 1 ? "," : "").append("(").append(i).append(", 'item ").append(i).append("', 'C-").append(i).append("')");
            tags.append(i > 1 ? "," : "").append("(").append(i).append(", 'tag ").append(i).append("', 'C-").append(101 - i).append("')");
        }
        // 201 row changes, the last ones changing a join key of a row the transaction inserted in its first 20.
        database.txn(items.toString(), tags.toString(), "UPDATE " + item + " SET code = 'C-0' WHERE id = 1", "UPDATE " + tag + " SET item_code = 'C-0' WHERE id = 100");
        awaitEqualsFreshMapping("a transaction of 202 row changes");
        assertTrue(((RelationalSource)source).spilledRows() > 0, "the row changes past the first 20 went to disk, not the heap");
        assertTrue(dataset().stream().filter(l -> l.contains("<http://example.org/tags>")).count() == 100, "each tag joins its item");
        awaitSpillFilesDeleted();
        TestSupport.await("published", WAIT, () -> log.publishedVersion() >= log.headVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }
}

package org.fusekicdc.source.relational;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a relational source's integration test runs on: a database namespace of its own, a
 * captured TDB2 dataset with its change log, and the source, all closed after each test; and
 * the dataset's quads and the log's patches as sorted text lines to assert on.
 */
public abstract class SourceTestBase {
    public static final Duration WAIT = Duration.ofSeconds(60);
    public static final String EX = "http://example.org/";
    public static final String TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>";

    @TempDir
    protected Path work;

    protected TestSourceDb database;
    protected CapturingDatasetGraph dsg;
    protected ChangeLog log;
    protected Source source;

    private final Supplier<TestSourceDb> newDatabase;
    private final List<String> tables;

    /**
     * {@code newDatabase}: the test's database with a new namespace (the server missing, the test
     * is skipped, or fails under CI=true); {@code tables}: the tables made in it before each test,
     * each its name and its columns, e.g. {@code "tag (id int PRIMARY KEY, label text)"}.
     */
    protected SourceTestBase(Supplier<TestSourceDb> newDatabase, String... tables) {
        this.newDatabase = newDatabase;
        this.tables = List.of(tables);
    }

    @BeforeEach
    protected final void createDatabase() {
        database = newDatabase.get();
        database.sql(tables.stream().map(t -> "CREATE TABLE " + database.namespace() + "." + t).toArray(String[]::new));
    }

    /** The source, the dataset, the log, then the database objects: any may be missing when a test stopped early. */
    @AfterEach
    protected final void closeAll() {
        if ( source != null )
            stop();
        if ( dsg != null )
            dsg.close();
        if ( log != null )
            log.close();
        if ( database != null )
            database.close();
    }

    /** A table of the test's namespace. */
    protected String table(String name) {
        return database.table(name);
    }

    protected void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        DatasetGraph tdb = TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
        dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
    }

    protected Source start(String turtle) {
        source = TestSources.source(database.provider(), dsg, database.sourceName(), turtle, work.resolve("source"), Map.of());
        source.start();
        return source;
    }

    protected void stop() {
        source.close();
        source = null;
    }

    /**
     * Country ch and customers 1 (Ann) and 2 (Bob) in the database; the source started on
     * {@code config}, its snapshot applied and the source running; then a quad that no mapping
     * gives added on customer 1 in graph g/customers (as a write over HTTP would): returns that
     * quad. Where the tests of TRUNCATE and of a redone snapshot start.
     */
    protected String startOnTwoCustomersWithANote(String config) throws InterruptedException {
        database.sql("INSERT INTO " + table("country") + " VALUES ('ch', 'Switzerland')",
                     "INSERT INTO " + table("customer") + " (id, name) VALUES (1, 'Ann'), (2, 'Bob')");
        open();
        start(config);
        TestSupport.await("snapshot", WAIT, () -> subjectQuads("customer/2").size() == 2 && !subjectQuads("country/ch").isEmpty()
                                                  && source.status().state() == SourceStatus.State.RUNNING);
        Txn.executeWrite(dsg, () -> dsg.add(Quad.create(iri("g/customers"), iri("customer/1"), iri("note"), iri("kept"))));
        return q("g/customers", "customer/1", "<" + EX + "note>", "<" + EX + "kept>");
    }

    /** What a test does to the source's engine, or its database, while the source is stopped. */
    @FunctionalInterface
    protected interface WhileStopped {
        void run() throws Exception;
    }

    /**
     * A snapshot taken again after every table was emptied: the source started on {@code config}
     * ({@link #startOnTwoCustomersWithANote}), stopped, its engine's state lost by {@code lose},
     * every table emptied, started again on {@code restartConfig}. The snapshot taken again sends
     * no row: its one patch clears the tables' triples and leaves the note.
     */
    protected void assertARedoneSnapshotOfEmptiedTablesClearsTheirTriples(String config, WhileStopped lose, String restartConfig) throws Exception {
        String note = startOnTwoCustomersWithANote(config);
        awaitVersion(log.headVersion());
        long before = log.headVersion();
        stop();
        lose.run();
        database.sql("DELETE FROM " + table("customer"), "DELETE FROM " + table("country"));
        start(restartConfig);
        awaitEmptiedBySnapshot(Set.of(note), before, table("customer"), table("country"));
    }

    /** The source's engine loses its offsets (as when a crash interrupts the snapshot): it takes the snapshot again at its next start. */
    protected void loseOffsets() throws IOException {
        Files.delete(work.resolve("source").resolve("offsets.dat"));
    }

    protected static Node iri(String local) {
        return NodeFactory.createURI(EX + local);
    }

    /** The dataset's quads, as N-Quads lines, sorted. */
    protected Set<String> quads() {
        return Txn.calculateRead(dsg, () -> {
            Set<String> s = new TreeSet<>();
            dsg.find().forEachRemaining(q -> s.add(NodeFmtLib.strNT(q.getGraph()) + " " + NodeFmtLib.strNT(q.getSubject()) + " "
                                                    + NodeFmtLib.strNT(q.getPredicate()) + " " + NodeFmtLib.strNT(q.getObject())));
            return s;
        });
    }

    protected Set<String> subjectQuads(String subject) {
        Set<String> s = new TreeSet<>();
        for ( String q : quads() ) {
            if ( q.contains(" <" + EX + subject + "> ") )
                s.add(q);
        }
        return s;
    }

    protected static String q(String graph, String s, String p, String o) {
        return "<" + EX + graph + "> <" + EX + s + "> " + p + " " + o;
    }

    /** A quad of graph g/customers. */
    protected static String cq(String s, String p, String o) {
        return q("g/customers", s, p, o);
    }

    /**
     * Customer 1's quads as the customer tests insert it ('1990-01-02', 1.50, 'hello', country
     * ch) with {@code name}, and {@code more}: natural datatypes, a language, a foreign key.
     */
    protected static Set<String> customer1(String name, String... more) {
        Set<String> s = new TreeSet<>(List.of(cq("customer/1", TYPE, "<" + EX + "Customer>"),
                                              cq("customer/1", "<" + EX + "name>", "\"" + name + "\""),
                                              cq("customer/1", "<" + EX + "born>", "\"1990-01-02\"^^<http://www.w3.org/2001/XMLSchema#date>"),
                                              cq("customer/1", "<" + EX + "score>", "\"1.5\"^^<http://www.w3.org/2001/XMLSchema#decimal>"),
                                              cq("customer/1", "<" + EX + "bio>", "\"hello\"@en"),
                                              cq("customer/1", "<" + EX + "country>", "<" + EX + "country/ch>")));
        s.addAll(List.of(more));
        return s;
    }

    /**
     * A snapshot taken again after every mapped table was emptied: waits until the dataset holds
     * only {@code left} (quads no mapping gives), then checks that one patch after {@code before}
     * is the snapshot's, names {@code tables} as cleared, and only deletes.
     */
    protected void awaitEmptiedBySnapshot(Set<String> left, long before, String... tables) throws InterruptedException {
        TestSupport.await("the redone snapshot of empty tables (status " + (source == null ? "-" : source.status()) + ")", WAIT,
                          () -> quads().equals(left));
        awaitVersion(log.headVersion());
        assertEquals(before + 1, log.headVersion(), "one patch clears the tables");
        RDFPatch p = patch(before + 1);
        assertEquals("true", header(p, PatchHeaders.SOURCE_SNAPSHOT), "the patch is the snapshot's");
        assertEquals(Set.of(tables), Set.of(header(p, PatchHeaders.SOURCE_SNAPSHOT_CLEARED).split(",")), "the patch names the tables it clears");
        assertTrue(changes(p).stream().allMatch(c -> c.startsWith("D ")), "the patch only deletes: " + changes(p));
        LogReplay.assertLogReproduces(log, dsg);
    }

    /** Spill files are deleted right after the commit that applied them, so a test that has seen the commit waits for that. */
    protected void awaitSpillFilesDeleted() throws InterruptedException {
        Path spill = work.resolve("source").resolve("spill");
        TestSupport.await("the spill file deleted once applied", WAIT, () -> {
            try (var files = java.nio.file.Files.list(spill)) {
                return files.findAny().isEmpty();
            } catch (java.io.IOException ex) {
                throw new java.io.UncheckedIOException(ex);
            }
        });
    }

    protected void awaitVersion(long v) throws InterruptedException {
        TestSupport.await("change log version " + v + " (source status " + (source == null ? "-" : source.status()) + ")", WAIT,
                          () -> log.publishedVersion() >= v);
    }

    /** A patch's adds and deletes as "A s p o" and "D s p o" lines. */
    protected static List<String> changes(RDFPatch patch) {
        List<String> out = new ArrayList<>();
        patch.apply(new RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node p, Node o) {
                out.add("A " + NodeFmtLib.strNT(s) + " " + NodeFmtLib.strNT(p) + " " + NodeFmtLib.strNT(o));
            }

            @Override
            public void delete(Node g, Node s, Node p, Node o) {
                out.add("D " + NodeFmtLib.strNT(s) + " " + NodeFmtLib.strNT(p) + " " + NodeFmtLib.strNT(o));
            }
        });
        return out;
    }

    protected RDFPatch patch(long version) {
        return LogReplay.patch(log.read(version));
    }

    protected static String header(RDFPatch p, String name) {
        Node n = p.getHeader(name);
        return n == null ? null : n.getLiteralLexicalForm();
    }
}

package org.fusekicdc.bench;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.jena.graph.Node;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceProvider;

/**
 * The PostgreSQL and MariaDB sources, in-process against the machine's databases (PGHOST/PGPORT/
 * PGUSER/PGDATABASE, default 127.0.0.1:5432 postgres/test, wal_level = logical;
 * MARIADB_HOST/MARIADB_PORT/MARIADB_USER, default 127.0.0.1:3306 root, row binlog), each into a
 * captured TDB2 dataset with the default (fsync) change log. Per database, on a table of 5 mapped
 * columns (6 triples a row):
 * <ol>
 * <li><b>Anchor</b>: Debezium's own embedded engine, the same connector and engine settings, into
 * a consumer that does nothing: the snapshot of {@code rows} rows, then {@code rows} more rows
 * inserted in transactions of 100 rows; rows/s of each (the rows it streamed are deleted again
 * before the source starts).</li>
 * <li><b>Snapshot</b>: the source loads the same {@code rows} rows: rows/s from its start to the
 * last snapshot patch.</li>
 * <li><b>Streaming, bulk</b>: the same {@code rows} more rows in transactions of 100 rows, as fast
 * as one client can: rows/s from the first commit to the last row in the dataset.</li>
 * <li><b>Streaming, latency</b>: single-row transactions paced at 20/s: from the client's commit
 * returning to the dataset commit being published in the change log, p50, p99, max.</li>
 * <li><b>The store's ceiling</b>: the triples of the same {@code rows} rows ({@link SourceBenchTriples})
 * written by TDB2 itself with no source and no capture, into fresh databases: Jena's bulk loader
 * (sequential and basic) and plain write transactions of 100 rows ({@link StoreCeiling}); the
 * source's and the anchor's rates as a ratio to them.</li>
 * </ol>
 *
 * <h2>Run</h2>
 * From the repository root:
 * <pre>
 * ./mvnw -q -B -pl bench -am package -DskipTests
 * java --sun-misc-unsafe-memory-access=allow -Dbench.databases=postgres,mariadb \
 *      -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *      org.fusekicdc.bench.PostgresSourceBench [rows=100000] [latencyTxns=600]
 * </pre>
 * {@code -Dbench.mapping=r2rml} maps the table with an R2RML mapping that gives the same triples
 * instead of {@code cdc:table} (the default, {@code table}).
 */
public final class PostgresSourceBench {
    private static final String MAPPING = """
            cdc:table [
                cdc:tableName "%s" ;
                cdc:subjectTemplate "http://example.org/item/{id}" ;
                cdc:class ex:Item ;
                cdc:column [ cdc:columnName "name" ; cdc:predicate ex:name ] , [ cdc:columnName "qty" ; cdc:predicate ex:qty ] ,
                           [ cdc:columnName "price" ; cdc:predicate ex:price ] , [ cdc:columnName "born" ; cdc:predicate ex:born ] ,
                           [ cdc:columnName "ref" ; cdc:predicate ex:ref ; cdc:objectTemplate "http://example.org/item/{ref}" ]
            ] .
        """;
    /** The same triples as {@link #MAPPING}, written in R2RML ({@code -Dbench.mapping=r2rml}). */
    private static final String R2RML_MAPPING = """
            cdc:r2rmlMapping '''
                PREFIX rr: <http://www.w3.org/ns/r2rml#>
                PREFIX ex: <http://example.org/>
                <#Item> rr:logicalTable [ rr:tableName "%s" ] ;
                    rr:subjectMap [ rr:template "http://example.org/item/{id}" ; rr:class ex:Item ] ;
                    rr:predicateObjectMap [ rr:predicate ex:name ; rr:objectMap [ rr:column "name" ] ] ,
                        [ rr:predicate ex:qty ; rr:objectMap [ rr:column "qty" ] ] ,
                        [ rr:predicate ex:price ; rr:objectMap [ rr:column "price" ] ] ,
                        [ rr:predicate ex:born ; rr:objectMap [ rr:column "born" ] ] ,
                        [ rr:predicate ex:ref ; rr:objectMap [ rr:template "http://example.org/item/{ref}" ] ] .
            ''' .
        """;
    /** Latency transactions set qty to this plus their number: their patch names them. */
    private static final long MARK = 1_000_000_000L;

    private PostgresSourceBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for ( String s : args )
            a.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        int rows = Integer.parseInt(a.getOrDefault("rows", "100000"));
        int latencyTxns = Integer.parseInt(a.getOrDefault("latencyTxns", "600"));
        List<String> databases = List.of(System.getProperty("bench.databases", "postgres").split(","));
        System.out.printf(Locale.ROOT, "PostgresSourceBench: %s, mapping %s, %d rows, %d latency transactions, %d cores, java %s%n", databases, mapping(), rows, latencyTxns,
                          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        Map<String, String> results = new LinkedHashMap<>();
        for ( String name : databases ) {
            String id = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
            SourceBenchDatabase db = switch (name.trim()) {
                case "postgres" -> new SourceBenchDatabase.Postgres(id);
                case "mariadb" -> new SourceBenchDatabase.MariaDb(id);
                default -> throw new IllegalArgumentException("bench.databases: unknown database '" + name + "' (postgres, mariadb)");
            };
            run(db, rows, latencyTxns, results);
        }
        System.out.println();
        results.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %s | %s |%n", k, v));
    }

    private static void run(SourceBenchDatabase db, int rows, int latencyTxns, Map<String, String> results) throws Exception {
        Path work = Files.createTempDirectory(db.name() + "-source-bench");
        System.out.printf(Locale.ROOT, "%s: work %s%n", db.name(), work);
        db.create(rows);
        Map<String, Double> rowsPerSecond = new HashMap<>();
        try {
            anchor(db, rows, work, results, rowsPerSecond);
            source(db, rows, latencyTxns, work, results, rowsPerSecond);
            ceiling(db.name(), rows, work, results, rowsPerSecond);
        } finally {
            db.drop();
        }
    }

    /** Debezium alone: the same connector into a consumer that counts and does nothing else. */
    private static void anchor(SourceBenchDatabase db, int rows, Path work, Map<String, String> results, Map<String, Double> rowsPerSecond) throws Exception {
        AtomicLong seen = new AtomicLong();
        DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> nothing = (records, committer) -> {
            for ( RecordChangeEvent<SourceRecord> e : records ) {
                if ( e.record().value() instanceof Struct v && v.schema().field("op") != null )
                    seen.incrementAndGet();
                committer.markProcessed(e);
            }
            committer.markBatchFinished();
        };
        ExecutorService exec = Executors.newSingleThreadExecutor();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                                                                               .using(db.anchorProperties("anchor_" + db.name(), work.toString()))
                                                                               .notifying(nothing).build();
        try {
            long t0 = System.nanoTime();
            exec.submit(engine);
            // The counters are bumped by the engine's or the source's own thread, which signals nothing:
            // poll every 5 ms, short beside the seconds measured.
            while ( seen.get() < rows )
                Thread.sleep(5);
            double snapSec = (System.nanoTime() - t0) / 1e9;
            results.put(db.name() + ": anchor snapshot (Debezium, no-op consumer)", figure(rows, snapSec, "incl. engine start"));
            rowsPerSecond.put("anchor snapshot", rows / snapSec);
            long t1 = System.nanoTime();
            db.insertRows(rows + 1, rows, 100);
            while ( seen.get() < 2L * rows )
                Thread.sleep(5);
            double streamSec = (System.nanoTime() - t1) / 1e9;
            results.put(db.name() + ": anchor streaming, 100-row txns (Debezium, no-op consumer)", figure(rows, streamSec, "from the first commit"));
            rowsPerSecond.put("anchor streaming", rows / streamSec);
        } finally {
            engine.close();
            exec.shutdown();
            exec.awaitTermination(60, TimeUnit.SECONDS);
        }
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM " + db.table() + " WHERE id > " + rows);
        }
    }

    private static String figure(long rows, double sec, String what) {
        return String.format(Locale.ROOT, "%d rows in %.1f s (%s): **%.0f rows/s**, load %s", rows, sec, what, rows / sec, BenchStats.loadAverage());
    }

    private static void source(SourceBenchDatabase db, int rows, int latencyTxns, Path work, Map<String, String> results, Map<String, Double> rowsPerSecond)
        throws Exception {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph(), log,
                                                                 CaptureConfig.defaults(work.resolve("spill")));
        NavigableMap<Long, Long> publishedAt = new ConcurrentSkipListMap<>();
        log.addPublishListener(() -> publishedAt.putIfAbsent(log.publishedVersion(), System.nanoTime()));
        Source source = source(dsg, db, work);
        try {
            // 1. Snapshot
            long t0 = System.nanoTime();
            source.start();
            while ( source.status().rows() < rows )
                Thread.sleep(5);
            double snapSec = (System.nanoTime() - t0) / 1e9;
            results.put(db.name() + ": source snapshot", figure(rows, snapSec, "incl. engine start"));
            rowsPerSecond.put("source snapshot", rows / snapSec);
            // 2. Streaming bulk: transactions of 100 rows
            long rowsBefore = source.status().rows();
            long t1 = System.nanoTime();
            db.insertRows(rows + 1, rows, 100);
            double commitSec = (System.nanoTime() - t1) / 1e9;
            while ( source.status().rows() < rowsBefore + rows )
                Thread.sleep(5);
            double streamSec = (System.nanoTime() - t1) / 1e9;
            results.put(db.name() + ": source streaming, 100-row txns", figure(rows, streamSec, String.format(Locale.ROOT, "database commits took %.1f s", commitSec)));
            rowsPerSecond.put("source streaming", rows / streamSec);
            // 3. Latency: paced single-row transactions
            Thread.sleep(1000);
            long[] committedAt = new long[latencyTxns];
            long versionBefore = log.publishedVersion();
            try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("UPDATE " + db.table() + " SET qty = ? WHERE id = ?")) {
                c.setAutoCommit(false);
                long next = System.nanoTime();
                for ( int i = 0 ; i < latencyTxns ; i++ ) {
                    ps.setLong(1, MARK + i);
                    ps.setInt(2, 1 + i % rows);
                    ps.executeUpdate();
                    c.commit();
                    committedAt[i] = System.nanoTime();
                    next += 50_000_000L;
                    long sleep = next - System.nanoTime();
                    if ( sleep > 0 )
                        Thread.sleep(sleep / 1_000_000, (int)(sleep % 1_000_000));
                }
            }
            long[] lat = latencies(log, versionBefore, committedAt, publishedAt);
            results.put(db.name() + ": source commit-to-dataset-commit latency (20 txn/s, 1 row)",
                        String.format(Locale.ROOT, "n=%d **p50 %.1f ms, p99 %.1f ms**, max %.1f ms, load %s", lat.length, pct(lat, 0.50), pct(lat, 0.99),
                                      lat[lat.length - 1] / 1e6, BenchStats.loadAverage()));
        } finally {
            source.close();
            dsg.close();
            log.close();
        }
    }

    /**
     * The store's own rates for the same rows (no source, no capture), and the source's and the
     * anchor's as a ratio to them: the best of the sequential and basic bulk loaders, and 100-row
     * write transactions.
     */
    private static void ceiling(String name, int rows, Path work, Map<String, String> results, Map<String, Double> rowsPerSecond) {
        StoreCeiling.Rate best = null;
        String bestName = null;
        for ( StoreCeiling.Loader kind : StoreCeiling.Loader.values() ) {
            String kindName = kind.name().toLowerCase(Locale.ROOT);
            StoreCeiling.Rate r = StoreCeiling.bulkLoad(kind, rows, work.resolve("ceiling-" + kindName));
            results.put(name + ": store ceiling, " + r.what() + " (no source, no capture)", r.figure());
            if ( best == null || r.rowsPerSecond() > best.rowsPerSecond() ) {
                best = r;
                bestName = kindName;
            }
        }
        StoreCeiling.Rate txns = StoreCeiling.writeTransactions(rows, 100, work.resolve("ceiling-txns"));
        results.put(name + ": store ceiling, " + txns.what() + " (no source, no capture)", txns.figure());
        double loader = best.rowsPerSecond();
        double perTxn = txns.rowsPerSecond();
        String against = "against the bulk loader (" + bestName + ") / 100-row transactions";
        results.put(name + ": source " + against, String.format(Locale.ROOT, "snapshot **%.2f** / **%.2f**, streaming **%.2f** / **%.2f**",
                                                              rowsPerSecond.get("source snapshot") / loader, rowsPerSecond.get("source snapshot") / perTxn,
                                                              rowsPerSecond.get("source streaming") / loader, rowsPerSecond.get("source streaming") / perTxn));
        results.put(name + ": anchor (Debezium, no-op consumer) against the bulk loader", String.format(Locale.ROOT, "snapshot **%.2f**, streaming **%.2f**",
                                                              rowsPerSecond.get("anchor snapshot") / loader, rowsPerSecond.get("anchor streaming") / loader));
    }

    /** Each latency transaction's commit to the publication of the patch that holds its qty value, sorted. */
    private static long[] latencies(ChangeLog log, long versionBefore, long[] committedAt, NavigableMap<Long, Long> publishedAt) throws Exception {
        long[] found = new long[committedAt.length];
        java.util.Arrays.fill(found, -1);
        long deadline = System.nanoTime() + 120_000_000_000L;
        int done = 0;
        long after = versionBefore;
        while ( done < committedAt.length && System.nanoTime() < deadline ) {
            for ( LogRecord r : log.readAfter(after, Integer.MAX_VALUE) ) {
                after = r.version();
                Map.Entry<Long, Long> pub = publishedAt.ceilingEntry(r.version());
                RDFPatch p = RDFPatchOps.read(r.openPayload());
                long at = pub == null ? System.nanoTime() : pub.getValue();
                for ( long i : qtyMarks(p) ) {
                    if ( i >= 0 && i < committedAt.length && found[(int)i] < 0 ) {
                        found[(int)i] = at - committedAt[(int)i];
                        done++;
                    }
                }
            }
            Thread.sleep(20);
        }
        return java.util.Arrays.stream(found).filter(x -> x >= 0).sorted().toArray();
    }

    private static List<Long> qtyMarks(RDFPatch p) {
        List<Long> marks = new ArrayList<>();
        p.apply(new org.apache.jena.rdfpatch.changes.RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node pr, Node o) {
                if ( pr.getURI().equals("http://example.org/qty") && o.isLiteral() ) {
                    long v = Long.parseLong(o.getLiteralLexicalForm());
                    if ( v >= MARK )
                        marks.add(v - MARK);
                }
            }
        });
        return marks;
    }

    /** {@code bench.mapping}: {@code table} (cdc:table) or {@code r2rml}. */
    private static String mapping() {
        String m = System.getProperty("bench.mapping", "table");
        if ( !m.equals("table") && !m.equals("r2rml") )
            throw new IllegalArgumentException("bench.mapping: unknown mapping '" + m + "' (table, r2rml)");
        return m;
    }

    static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    static Source source(CapturingDatasetGraph dsg, SourceBenchDatabase db, Path work) {
        String ttl = """
            PREFIX cdc: <https://w3id.org/fuseki-cdc#>
            PREFIX ex:  <http://example.org/>
            """ + db.sourceTurtle((mapping().equals("r2rml") ? R2RML_MAPPING : MAPPING).formatted(db.table()));
        Model m = ModelFactory.createDefaultModel();
        RDFParser.create().source(new StringReader(ttl)).lang(Lang.TURTLE).base("http://bench/").parse(m);
        Resource r = m.createResource("http://bench/#source");
        Map<String, String> values = new LinkedHashMap<>();
        r.listProperties().forEach(st -> {
            if ( st.getObject().isLiteral() )
                values.put(st.getPredicate().getLocalName(), st.getObject().asLiteral().getLexicalForm());
        });
        String type = r.getPropertyResourceValue(org.apache.jena.vocabulary.RDF.type).getLocalName();
        SourceProvider provider = java.util.ServiceLoader.load(SourceProvider.class).stream().map(java.util.ServiceLoader.Provider::get)
                                                         .filter(p -> p.type().equals(type)).findFirst().orElseThrow();
        return provider.create(new SourceContext(dsg, db.name(), new OptionValues("Source", db.name(), values, System::getenv), r, work.resolve("source")));
    }
}

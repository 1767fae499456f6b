package org.fusekicdc.bench;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceProvider;

/**
 * The PostgreSQL source, in-process against a real PostgreSQL (PGHOST/PGPORT/PGUSER/PGDATABASE,
 * default 127.0.0.1:5432 postgres/test, wal_level = logical), into a captured TDB2 dataset with
 * the default (fsync) change log:
 * <ol>
 * <li><b>Snapshot</b>: a table of {@code rows} rows (5 mapped columns each, 6 triples a row) loaded
 * by the initial snapshot: rows/s from the source's start to the last snapshot patch.</li>
 * <li><b>Streaming, bulk</b>: with the source running, {@code rows} more rows inserted in
 * transactions of 100 rows as fast as one client can: rows/s and transactions/s from the first
 * commit to the last patch.</li>
 * <li><b>Streaming, latency</b>: single-row transactions paced at 20/s: commit-to-log latency
 * (from the client's commit returning to the patch being published in the change log) p50, p99, max.</li>
 * </ol>
 *
 * <h2>Run</h2>
 * From the repository root:
 * <pre>
 * ./mvnw -q -B -pl bench -am package -DskipTests
 * java --sun-misc-unsafe-memory-access=allow -cp "bench/target/classes:$(cat bench/target/classpath.txt)" \
 *      org.fusekicdc.bench.PostgresSourceBench [rows=100000] [latencyTxns=600]
 * </pre>
 */
public final class PostgresSourceBench {
    static final String HOST = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    static final String PORT = System.getenv().getOrDefault("PGPORT", "5432");
    static final String USER = System.getenv().getOrDefault("PGUSER", "postgres");
    static final String DB = System.getenv().getOrDefault("PGDATABASE", "test");

    private PostgresSourceBench() {}

    static Connection connect() throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + DB + "?user=" + USER);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for ( String s : args )
            a.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        int rows = Integer.parseInt(a.getOrDefault("rows", "100000"));
        int latencyTxns = Integer.parseInt(a.getOrDefault("latencyTxns", "600"));
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String schema = "bench_" + id;
        String slot = "fcdc_bench_" + id;
        Path work = Files.createTempDirectory("pg-source-bench");
        System.out.printf(Locale.ROOT, "PostgresSourceBench: %d rows, %d latency transactions, %d cores, java %s, work %s%n", rows, latencyTxns,
                          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), work);
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
            st.execute("CREATE TABLE " + schema + ".item (id int PRIMARY KEY, name text, qty int, price numeric(10,2), born date, ref int)");
            st.execute("INSERT INTO " + schema + ".item SELECT g, 'item ' || g, g % 100, (g % 1000) / 10.0, DATE '2020-01-01' + (g % 1000), g % 500 FROM generate_series(1, " + rows + ") g");
        }
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph(), log,
                                                                 CaptureConfig.defaults(work.resolve("spill")));
        Map<Long, Long> publishedAt = new ConcurrentHashMap<>();
        log.addPublishListener(() -> publishedAt.putIfAbsent(log.publishedVersion(), System.nanoTime()));
        Source source = source(dsg, schema, slot, work);
        Map<String, String> results = new LinkedHashMap<>();
        try {
            // 1. Snapshot
            long t0 = System.nanoTime();
            source.start();
            while ( source.status().rows() < rows )
                Thread.sleep(5);
            double snapSec = (System.nanoTime() - t0) / 1e9;
            results.put("snapshot", String.format(Locale.ROOT, "%d rows in %.1f s (incl. engine start): %.0f rows/s", rows, snapSec, rows / snapSec));
            // 2. Streaming bulk: transactions of 100 rows
            long rowsBefore = source.status().rows();
            long t1 = System.nanoTime();
            try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".item VALUES (?, ?, ?, ?, DATE '2021-01-01', ?)")) {
                c.setAutoCommit(false);
                for ( int i = 0 ; i < rows ; i++ ) {
                    int k = rows + 1 + i;
                    ps.setInt(1, k);
                    ps.setString(2, "new " + k);
                    ps.setInt(3, k % 100);
                    ps.setBigDecimal(4, java.math.BigDecimal.valueOf(k % 1000, 1));
                    ps.setInt(5, k % 500);
                    ps.addBatch();
                    if ( (i + 1) % 100 == 0 ) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
            double commitSec = (System.nanoTime() - t1) / 1e9;
            while ( source.status().rows() < rowsBefore + rows )
                Thread.sleep(5);
            double streamSec = (System.nanoTime() - t1) / 1e9;
            results.put("streaming (100-row txns)", String.format(Locale.ROOT, "%d rows in %.1f s (database commits took %.1f s): %.0f rows/s, %.0f txns/s",
                                                                   rows, streamSec, commitSec, rows / streamSec, rows / 100 / streamSec));
            // 3. Latency: paced single-row transactions
            Thread.sleep(1000);
            Map<Long, Long> committedAt = new HashMap<>();
            long versionBefore = log.publishedVersion();
            try (Connection c = connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                long next = System.nanoTime();
                for ( int i = 0 ; i < latencyTxns ; i++ ) {
                    st.execute("UPDATE " + schema + ".item SET qty = qty + 1 WHERE id = " + (1 + i % rows));
                    long xid;
                    try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text::bigint % 4294967296")) {
                        rs.next();
                        xid = rs.getLong(1);
                    }
                    c.commit();
                    committedAt.put(xid, System.nanoTime());
                    next += 50_000_000L;
                    long sleep = next - System.nanoTime();
                    if ( sleep > 0 )
                        Thread.sleep(sleep / 1_000_000, (int)(sleep % 1_000_000));
                }
            }
            while ( log.publishedVersion() < versionBefore + latencyTxns )
                Thread.sleep(5);
            List<Long> lat = new ArrayList<>();
            for ( LogRecord r : log.readAfter(versionBefore, Integer.MAX_VALUE) ) {
                RDFPatch p = RDFPatchOps.read(r.openPayload());
                long xid = Long.parseLong(p.getHeader(PatchHeaders.SOURCE_TXID).getLiteralLexicalForm());
                Long c = committedAt.get(xid);
                Long pub = publishedAt.get(r.version());
                if ( c != null && pub != null )
                    lat.add(pub - c);
            }
            long[] l = lat.stream().mapToLong(Long::longValue).sorted().toArray();
            results.put("commit-to-log latency (20 txn/s, 1 row)", String.format(Locale.ROOT, "n=%d p50 %.1f ms, p99 %.1f ms, max %.1f ms", l.length,
                                                                                  pct(l, 0.50), pct(l, 0.99), l[l.length - 1] / 1e6));
        } finally {
            source.close();
            dsg.close();
            log.close();
            try (Connection c = connect(); Statement st = c.createStatement()) {
                for ( int i = 0 ; i < 100 ; i++ ) {
                    try {
                        st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
                        break;
                    } catch (Exception ex) {
                        Thread.sleep(200);
                    }
                }
                st.execute("DROP PUBLICATION IF EXISTS " + slot);
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        System.out.println();
        results.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %s | %s |%n", k, v));
    }

    static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    static Source source(CapturingDatasetGraph dsg, String schema, String slot, Path work) {
        String ttl = """
            PREFIX cdc: <https://w3id.org/fuseki-cdc#>
            PREFIX ex:  <http://example.org/>
            <#source> a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %s ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ;
                cdc:table [
                    cdc:tableName "%s.item" ;
                    cdc:subjectTemplate "http://example.org/item/{id}" ;
                    cdc:class ex:Item ;
                    cdc:column [ cdc:columnName "name" ; cdc:predicate ex:name ] , [ cdc:columnName "qty" ; cdc:predicate ex:qty ] ,
                               [ cdc:columnName "price" ; cdc:predicate ex:price ] , [ cdc:columnName "born" ; cdc:predicate ex:born ] ,
                               [ cdc:columnName "ref" ; cdc:predicate ex:ref ; cdc:objectTemplate "http://example.org/item/{ref}" ]
                ] .
            """.formatted(HOST, PORT, DB, USER, slot, slot, schema);
        Model m = ModelFactory.createDefaultModel();
        RDFParser.create().source(new StringReader(ttl)).lang(Lang.TURTLE).base("http://bench/").parse(m);
        Resource r = m.createResource("http://bench/#source");
        Map<String, String> values = new LinkedHashMap<>();
        r.listProperties().forEach(st -> {
            if ( st.getObject().isLiteral() )
                values.put(st.getPredicate().getLocalName(), st.getObject().asLiteral().getLexicalForm());
        });
        SourceProvider provider = java.util.ServiceLoader.load(SourceProvider.class).findFirst().orElseThrow();
        return provider.create(new SourceContext(dsg, "pg", new OptionValues("Source", "pg", values, System::getenv), r, work.resolve("source")));
    }

}

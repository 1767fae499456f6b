package org.fusekicdc.source.postgres;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.StringReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.junit.jupiter.api.Assumptions;

/**
 * Test support: the PostgreSQL the tests use ({@code PGHOST}/{@code PGPORT}, else 127.0.0.1:5432,
 * user postgres, database test, trust authentication), unique schemas and slots per test, and a
 * source built from a Turtle description as the server would. Without a server (or without
 * wal_level = logical) the tests are skipped, loudly; under {@code CI=true} they fail.
 */
final class PgTesting {
    static final String HOST = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    static final int PORT = Integer.parseInt(System.getenv().getOrDefault("PGPORT", "5432"));
    static final String USER = System.getenv().getOrDefault("PGUSER", "postgres");
    static final String DATABASE = System.getenv().getOrDefault("PGDATABASE", "test");
    static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    private static String serverProblem;
    private static boolean serverChecked;

    private PgTesting() {}

    static synchronized void requireServer() {
        if ( !serverChecked ) {
            serverChecked = true;
            try (Connection c = connect(); Statement st = c.createStatement(); var rs = st.executeQuery("SHOW wal_level")) {
                rs.next();
                if ( !"logical".equals(rs.getString(1)) )
                    serverProblem = "PostgreSQL at " + HOST + ":" + PORT + " has wal_level = " + rs.getString(1)
                                    + "; run ALTER SYSTEM SET wal_level = logical and restart it (.ci/run does).";
            } catch (SQLException ex) {
                serverProblem = "PostgreSQL not usable at " + HOST + ":" + PORT + "/" + DATABASE + " as " + USER + " (" + ex.getMessage() + ").";
            }
            if ( serverProblem != null && !CI )
                System.err.println("*** SKIPPING the tests that need PostgreSQL: " + serverProblem);
        }
        if ( serverProblem == null )
            return;
        if ( CI )
            fail(serverProblem + " CI=true: failing instead of skipping.");
        Assumptions.abort(serverProblem);
    }

    static Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + DATABASE + "?user=" + USER + "&connectTimeout=5");
    }

    static void sql(String... statements) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for ( String s : statements )
                st.execute(s);
        } catch (SQLException ex) {
            throw new RuntimeException(ex.getMessage() + " in " + String.join("; ", statements), ex);
        }
    }

    /** The statements as one database transaction. */
    static void txn(String... statements) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for ( String s : statements )
                st.execute(s);
            c.commit();
        } catch (SQLException ex) {
            throw new RuntimeException(ex.getMessage(), ex);
        }
    }

    static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** Drop a test's slot (waiting until its walsender lets go), publication and schema. */
    static void dropAll(String slot, String publication, String schema) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( true ) {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
                break;
            } catch (SQLException ex) {
                if ( System.nanoTime() > deadline ) {
                    System.err.println("Could not drop replication slot " + slot + ": " + ex.getMessage());
                    break;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        sql("DROP PUBLICATION IF EXISTS " + publication, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    static final String PREFIXES = """
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        PREFIX ex:  <http://example.org/>
        """;

    /** The {@code <#source>} resource of a Turtle description. */
    static Resource description(String turtle) {
        Model m = ModelFactory.createDefaultModel();
        RDFParser.create().source(new StringReader(PREFIXES + turtle)).lang(Lang.TURTLE).base("http://test/").parse(m);
        return m.createResource("http://test/#source");
    }

    /** A source as the server builds it: literal options (with ${env:} from {@code env}) plus the description. */
    static Source source(CapturingDatasetGraph dsg, String name, String turtle, Path workDir, Map<String, String> env) {
        Resource r = description(turtle);
        Map<String, String> values = new LinkedHashMap<>();
        r.listProperties().forEach(st -> {
            if ( st.getPredicate().getURI().startsWith(Vocab.NS) && st.getObject().isLiteral() )
                values.put(st.getPredicate().getLocalName(), st.getObject().asLiteral().getLexicalForm());
        });
        SinkOptions options = new SinkOptions("Source", name, values, env::get);
        return new PostgresSourceProvider().create(new SourceContext(dsg, name, options, r, workDir));
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                fail("Timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            Thread.sleep(50);
        }
    }
}

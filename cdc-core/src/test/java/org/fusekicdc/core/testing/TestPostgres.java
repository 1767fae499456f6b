package org.fusekicdc.core.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The PostgreSQL the tests use: {@code PGHOST}, {@code PGPORT}, {@code PGUSER},
 * {@code PGDATABASE}, else 127.0.0.1:5432, user postgres, database test, trust authentication,
 * {@code wal_level = logical} (what {@code .ci/run} sets up). The tests that use it need the
 * PostgreSQL JDBC driver on their classpath.
 */
public final class TestPostgres {
    public static final String HOST = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    public static final int PORT = Integer.parseInt(System.getenv().getOrDefault("PGPORT", "5432"));
    public static final String USER = System.getenv().getOrDefault("PGUSER", "postgres");
    public static final String DATABASE = System.getenv().getOrDefault("PGDATABASE", "test");

    private static String serverProblem;
    private static boolean serverChecked;

    private TestPostgres() {}

    /** Skip the calling test, loudly, when the server is missing or cannot decode logically; fail instead under {@code CI=true}. */
    public static synchronized void requireServer() {
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
        }
        if ( serverProblem != null )
            TestSupport.skipOrFail(serverProblem);
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + DATABASE + "?user=" + USER + "&connectTimeout=5");
    }

    public static void sql(String... statements) {
        TestJdbc.sql(TestPostgres::connect, statements);
    }

    /** The statements as one database transaction. */
    public static void txn(String... statements) {
        TestJdbc.txn(TestPostgres::connect, statements);
    }

    /** A name no other test run uses, for schemas and replication slots. */
    public static String unique(String prefix) {
        return TestJdbc.unique(prefix);
    }

    /** Drop a test's slot (waiting until its walsender lets go), publication and schema. */
    public static void dropAll(String slot, String publication, String schema) {
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

    /** {@code config-examples/postgres-source.ttl} pointed at this server instead of the example's. */
    public static String pointExampleAtTestServer(String ttl) {
        return ttl.replace("cdc:host \"127.0.0.1\"", "cdc:host \"" + HOST + "\"")
                  .replace("cdc:port 5432", "cdc:port " + PORT)
                  .replace("cdc:database \"shop\"", "cdc:database \"" + DATABASE + "\"")
                  .replace("cdc:user \"fuseki_cdc\"", "cdc:user \"" + USER + "\"");
    }
}

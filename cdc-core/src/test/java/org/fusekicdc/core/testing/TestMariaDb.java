package org.fusekicdc.core.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The MariaDB (or MySQL) the tests use: {@code MARIADB_HOST}, {@code MARIADB_PORT},
 * {@code MARIADB_USER}, else 127.0.0.1:3306, user root without a password, with a row-format
 * binlog (what {@code .ci/run} sets up). Each test makes a database of its own. The tests that
 * use it need the MySQL JDBC driver on their classpath.
 */
public final class TestMariaDb {
    public static final String HOST = System.getenv().getOrDefault("MARIADB_HOST", "127.0.0.1");
    public static final int PORT = Integer.parseInt(System.getenv().getOrDefault("MARIADB_PORT", "3306"));
    public static final String USER = System.getenv().getOrDefault("MARIADB_USER", "root");

    private static String serverProblem;
    private static boolean serverChecked;

    private TestMariaDb() {}

    /** Skip the calling test, loudly, when the server is missing or has no row-format binlog; fail instead under {@code CI=true}. */
    public static synchronized void requireServer() {
        if ( !serverChecked ) {
            serverChecked = true;
            try (Connection c = connect(); Statement st = c.createStatement(); var rs = st.executeQuery("SELECT @@log_bin, @@binlog_format")) {
                rs.next();
                if ( !"1".equals(rs.getString(1)) || !"ROW".equalsIgnoreCase(rs.getString(2)) )
                    serverProblem = "MariaDB at " + HOST + ":" + PORT + " has log_bin " + rs.getString(1) + ", binlog_format " + rs.getString(2)
                                    + "; set log-bin and binlog_format = ROW under [mysqld] and restart it (.ci/run does).";
            } catch (SQLException ex) {
                serverProblem = "MariaDB not usable at " + HOST + ":" + PORT + " as " + USER + " (" + ex.getMessage() + ").";
            }
        }
        if ( serverProblem != null )
            TestSupport.skipOrFail(serverProblem);
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:mysql://" + HOST + ":" + PORT + "/?user=" + USER + "&connectTimeout=5000&allowPublicKeyRetrieval=true&useSSL=false");
    }

    public static void sql(String... statements) {
        TestJdbc.sql(TestMariaDb::connect, statements);
    }

    /** The statements as one database transaction. */
    public static void txn(String... statements) {
        TestJdbc.txn(TestMariaDb::connect, statements);
    }

    /** A database name no other test run uses. */
    public static String unique(String prefix) {
        return TestJdbc.unique(prefix);
    }

    public static void dropDatabase(String database) {
        sql("DROP DATABASE IF EXISTS " + database);
    }

    /** {@code config-examples/mariadb-source.ttl} pointed at this server instead of the example's. */
    public static String pointExampleAtTestServer(String ttl) {
        return ttl.replace("cdc:host \"127.0.0.1\"", "cdc:host \"" + HOST + "\"")
                  .replace("cdc:port 3306", "cdc:port " + PORT)
                  .replace("cdc:user \"fuseki_cdc\"", "cdc:user \"" + USER + "\"");
    }
}

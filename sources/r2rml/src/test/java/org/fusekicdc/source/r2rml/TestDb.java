package org.fusekicdc.source.r2rml;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;

/**
 * The two databases the R2RML tests run on, each test case in a schema (PostgreSQL) or database
 * (MariaDB) of its own. PostgreSQL as {@link TestPostgres} finds it; MariaDB at
 * {@code MARIADB_HOST}:{@code MARIADB_PORT} (127.0.0.1:3306) as {@code MARIADB_USER} (root, no
 * password), sessions in {@code sql_mode=ANSI} as the test cases' SQL needs.
 */
enum TestDb {
    POSTGRESQL, MARIADB;

    private static final String MARIADB_HOST = System.getenv().getOrDefault("MARIADB_HOST", "127.0.0.1");
    private static final String MARIADB_PORT = System.getenv().getOrDefault("MARIADB_PORT", "3306");
    private static final String MARIADB_USER = System.getenv().getOrDefault("MARIADB_USER", "root");
    private static final Map<TestDb, String> PROBLEMS = new EnumMap<>(TestDb.class);

    /** Skip loudly when the database is not there; fail under {@code CI=true}. */
    void require() {
        synchronized (PROBLEMS) {
            if ( !PROBLEMS.containsKey(this) ) {
                String problem = null;
                try (Connection c = connect(null)) {
                    c.isValid(5);
                } catch (SQLException ex) {
                    problem = this + " not usable at " + where() + " (" + ex.getMessage() + "): the R2RML tests on it are NOT RUN.";
                }
                PROBLEMS.put(this, problem);
            }
            if ( PROBLEMS.get(this) != null )
                TestSupport.skipOrFail(PROBLEMS.get(this));
        }
    }

    private String where() {
        return this == POSTGRESQL ? TestPostgres.HOST + ":" + TestPostgres.PORT + "/" + TestPostgres.DATABASE + " as " + TestPostgres.USER
                                  : MARIADB_HOST + ":" + MARIADB_PORT + " as " + MARIADB_USER;
    }

    /** A connection whose unqualified names are in {@code namespace} (null: the default one). */
    Connection connect(String namespace) throws SQLException {
        if ( this == POSTGRESQL )
            return DriverManager.getConnection("jdbc:postgresql://" + TestPostgres.HOST + ":" + TestPostgres.PORT + "/" + TestPostgres.DATABASE
                                               + "?user=" + TestPostgres.USER + "&connectTimeout=5"
                                               + (namespace == null ? "" : "&currentSchema=" + namespace));
        return DriverManager.getConnection("jdbc:mariadb://" + MARIADB_HOST + ":" + MARIADB_PORT + "/" + (namespace == null ? "" : namespace)
                                           + "?user=" + MARIADB_USER + "&connectTimeout=5000&sessionVariables=sql_mode=ANSI");
    }

    /** A new, empty schema or database, returned with a connection to it. */
    Connection fresh(String namespace) throws SQLException {
        try (Connection c = connect(null); Statement st = c.createStatement()) {
            st.execute((this == POSTGRESQL ? "DROP SCHEMA IF EXISTS " : "DROP DATABASE IF EXISTS ") + namespace + (this == POSTGRESQL ? " CASCADE" : ""));
            st.execute((this == POSTGRESQL ? "CREATE SCHEMA " : "CREATE DATABASE ") + namespace);
        }
        return connect(namespace);
    }

    void drop(String namespace) {
        try (Connection c = connect(null); Statement st = c.createStatement()) {
            st.execute((this == POSTGRESQL ? "DROP SCHEMA IF EXISTS " : "DROP DATABASE IF EXISTS ") + namespace + (this == POSTGRESQL ? " CASCADE" : ""));
        } catch (SQLException ex) {
            System.err.println("Could not drop " + namespace + " on " + this + ": " + ex.getMessage());
        }
    }

    /**
     * The statements of a test case's {@code resource.sql} in this database's dialect: the files
     * are standard SQL with MySQL's binary types; PostgreSQL spells them {@code BYTEA} and
     * {@code '\x..'::bytea}.
     */
    List<String> statements(String sql) {
        StringBuilder body = new StringBuilder();
        for ( String line : sql.split("\n") ) {
            String t = line.strip();
            if ( !t.startsWith("#") && !t.startsWith("--") )
                body.append(line).append('\n');
        }
        String text = body.toString();
        if ( this == POSTGRESQL )
            text = text.replaceAll("(?i)VARBINARY\\s*\\(\\s*\\d+\\s*\\)", "BYTEA").replaceAll("(?i)\\bX'([0-9A-F]*)'", "'\\\\x$1'::bytea");
        List<String> out = new ArrayList<>();
        for ( String s : text.split(";\\s*(\\n|$)") )
            if ( !s.isBlank() )
                out.add(s.strip());
        return out;
    }

    /** A name for a test case's schema or database (folded to lower case by both databases). */
    static String namespaceFor(String testCase, String purpose) {
        return ("r2rml_" + purpose + "_" + testCase).toLowerCase();
    }
}

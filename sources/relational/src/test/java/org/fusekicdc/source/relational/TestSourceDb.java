package org.fusekicdc.source.relational;

import java.sql.Connection;
import java.sql.SQLException;

import org.fusekicdc.core.source.SourceProvider;
import org.fusekicdc.core.testing.TestJdbc;

/**
 * The database a relational source's integration test runs against, with a namespace of the
 * test's own (a MariaDB database, a PostgreSQL schema) that {@link #close()} drops again, and
 * what a source description needs to reach it.
 *
 * @param namespace the test's database or schema
 * @param sourceName the source's name in the dataset, and so in its patches' source header
 * @param connector the connector name in the patches' source connector header
 * @param connectionOptions the source's type and connection options, Turtle, each ending with {@code ;}
 * @param drop drops the namespace and whatever else the test made on the server
 */
public record TestSourceDb(String namespace, String sourceName, String connector, SourceProvider provider, String connectionOptions,
                           TestJdbc.Connect jdbc, Runnable drop) implements AutoCloseable {
    /** A table of the test's namespace. */
    public String table(String name) {
        return namespace + "." + name;
    }

    /** A {@code <#source>} description: the connection, quick retries, then {@code rest}, which ends the description. */
    public String sourceConfig(String rest) {
        return "<#source> " + connectionOptions + "\n    cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 1000 ;\n    " + rest;
    }

    public Connection connect() throws SQLException {
        return jdbc.connect();
    }

    public void sql(String... statements) {
        TestJdbc.sql(jdbc, statements);
    }

    /** The statements as one database transaction. */
    public void txn(String... statements) {
        TestJdbc.txn(jdbc, statements);
    }

    @Override
    public void close() {
        drop.run();
    }
}

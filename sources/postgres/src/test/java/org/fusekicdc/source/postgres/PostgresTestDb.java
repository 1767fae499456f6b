package org.fusekicdc.source.postgres;

import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.source.relational.TestSourceDb;

/**
 * A PostgreSQL schema of the test's own on {@link TestPostgres}, with a replication slot and
 * publication of its own.
 */
final class PostgresTestDb {
    private PostgresTestDb() {}

    /**
     * A new schema named {@code prefix} and a unique suffix; the server missing, the test is
     * skipped (failed under CI=true).
     */
    static TestSourceDb create(String prefix) {
        TestPostgres.requireServer();
        String schema = TestPostgres.unique(prefix);
        String slot = "fcdc_" + schema;
        TestPostgres.sql("CREATE SCHEMA " + schema);
        String connection = """
            a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ;""".formatted(TestPostgres.HOST, TestPostgres.PORT, TestPostgres.DATABASE, TestPostgres.USER, slot, slot);
        return new TestSourceDb(schema, "pg", "postgresql", new PostgresSourceProvider(), connection, TestPostgres::connect,
                                () -> TestPostgres.dropAll(slot, slot, schema));
    }

    /** The replication slot's name of a database made by {@link #create(String)}, also its publication's. */
    static String slot(TestSourceDb database) {
        return "fcdc_" + database.namespace();
    }
}

package org.fusekicdc.source.mariadb;

import org.fusekicdc.core.testing.TestMariaDb;
import org.fusekicdc.source.relational.TestSourceDb;

/** A MariaDB database of the test's own on {@link TestMariaDb}. */
final class MariaDbTestDb {
    private MariaDbTestDb() {}

    /** A new database named {@code prefix} and a unique suffix; the server missing, the test is skipped (failed under CI=true). */
    static TestSourceDb create(String prefix) {
        TestMariaDb.requireServer();
        String database = TestMariaDb.unique(prefix);
        TestMariaDb.sql("CREATE DATABASE " + database);
        String connection = "a cdc:MariaDbSource ;\n    cdc:host \"%s\" ; cdc:port %d ; cdc:user \"%s\" ;".formatted(TestMariaDb.HOST, TestMariaDb.PORT, TestMariaDb.USER);
        return new TestSourceDb(database, "maria", "mariadb", new MariaDbSourceProvider(), connection, TestMariaDb::connect,
                                () -> TestMariaDb.dropDatabase(database));
    }
}

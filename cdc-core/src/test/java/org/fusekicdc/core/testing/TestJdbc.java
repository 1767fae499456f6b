package org.fusekicdc.core.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Statements run on a test database, whichever it is ({@link TestPostgres}, {@link TestMariaDb}). */
public final class TestJdbc {
    private TestJdbc() {}

    /** How a test reaches its database. */
    @FunctionalInterface
    public interface Connect {
        Connection connect() throws SQLException;
    }

    /** The statements, each committed on its own. */
    public static void sql(Connect db, String... statements) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            for ( String s : statements )
                st.execute(s);
        } catch (SQLException ex) {
            throw new RuntimeException(ex.getMessage() + " in " + String.join("; ", statements), ex);
        }
    }

    /** The statements as one database transaction. */
    public static void txn(Connect db, String... statements) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for ( String s : statements )
                st.execute(s);
            c.commit();
        } catch (SQLException ex) {
            throw new RuntimeException(ex.getMessage(), ex);
        }
    }

    /** A name no other test run uses, for databases, schemas and replication slots. */
    public static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }
}

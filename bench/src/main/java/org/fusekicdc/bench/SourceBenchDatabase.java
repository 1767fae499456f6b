package org.fusekicdc.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Properties;

/**
 * One database of {@link PostgresSourceBench}: the same table, rows and statements on each, the
 * source's description and the properties of the Debezium-only anchor (the same connector the
 * source runs, with the source's engine settings, into a consumer that does nothing).
 */
interface SourceBenchDatabase {
    /** {@code postgres} or {@code mariadb}. */
    String name();

    Connection connect() throws Exception;

    /** Create the table {@code item} with {@code rows} rows (ids 1..rows). */
    void create(int rows) throws Exception;

    /** The table's qualified name. */
    String table();

    /** The cdc:...Source description of the source under test (subject {@code <#source>}), with the common mapping. */
    String sourceTurtle(String mapping);

    /** Debezium properties of the anchor engine, named {@code tag} (its own slot / replica id). */
    Properties anchorProperties(String tag, String work);

    /** Drop what the run created. */
    void drop() throws Exception;

    /** Insert rows {@code from..from+count-1} in transactions of {@code perTxn} rows, as fast as one client can. */
    default void insertRows(int from, int count, int perTxn) throws Exception {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO " + table() + " VALUES (?, ?, ?, ?, DATE '2021-01-01', ?)")) {
            c.setAutoCommit(false);
            for ( int i = 0 ; i < count ; i++ ) {
                int k = from + i;
                ps.setInt(1, k);
                ps.setString(2, "new " + k);
                ps.setInt(3, k % 100);
                ps.setBigDecimal(4, java.math.BigDecimal.valueOf(k % 1000, 1));
                ps.setInt(5, k % 500);
                ps.addBatch();
                if ( (i + 1) % perTxn == 0 ) {
                    ps.executeBatch();
                    c.commit();
                }
            }
            ps.executeBatch();
            c.commit();
        }
    }

    /** The Debezium engine properties the relational sources set themselves (RelationalSource). */
    static void engineProperties(Properties p, String tag, String table) {
        p.setProperty("name", tag);
        p.setProperty("topic.prefix", tag);
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("poll.interval.ms", "5");
        p.setProperty("max.batch.size", "8192");
        p.setProperty("max.queue.size", "32768");
        p.setProperty("table.include.list", java.util.regex.Pattern.quote(table));
        p.setProperty("snapshot.mode", "initial");
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("errors.max.retries", "0");
    }

    final class Postgres implements SourceBenchDatabase {
        static final String HOST = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
        static final String PORT = System.getenv().getOrDefault("PGPORT", "5432");
        static final String USER = System.getenv().getOrDefault("PGUSER", "postgres");
        static final String DB = System.getenv().getOrDefault("PGDATABASE", "test");
        private final String schema;
        private final String id;

        Postgres(String id) {
            this.id = id;
            this.schema = "bench_" + id;
        }

        @Override
        public String name() {
            return "postgres";
        }

        @Override
        public Connection connect() throws Exception {
            return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + PORT + "/" + DB + "?user=" + USER);
        }

        @Override
        public String table() {
            return schema + ".item";
        }

        @Override
        public void create(int rows) throws Exception {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
                st.execute("CREATE TABLE " + table() + " (id int PRIMARY KEY, name text, qty int, price numeric(10,2), born date, ref int)");
                st.execute("INSERT INTO " + table() + " SELECT g, 'item ' || g, g % 100, (g % 1000) / 10.0, DATE '2020-01-01' + (g % 1000), g % 500 FROM generate_series(1, " + rows + ") g");
            }
        }

        @Override
        public String sourceTurtle(String mapping) {
            String slot = "fcdc_bench_" + id;
            return """
                <#source> a cdc:PostgresSource ;
                    cdc:host "%s" ; cdc:port %s ; cdc:database "%s" ; cdc:user "%s" ;
                    cdc:slotName "%s" ; cdc:publicationName "%s" ;
                """.formatted(HOST, PORT, DB, USER, slot, slot) + mapping;
        }

        @Override
        public Properties anchorProperties(String tag, String work) {
            Properties p = new Properties();
            engineProperties(p, tag, table());
            String slot = "fcdc_anchor_" + id;
            p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
            p.setProperty("database.hostname", HOST);
            p.setProperty("database.port", PORT);
            p.setProperty("database.user", USER);
            p.setProperty("database.dbname", DB);
            p.setProperty("plugin.name", "pgoutput");
            p.setProperty("slot.name", slot);
            p.setProperty("publication.name", slot);
            p.setProperty("publication.autocreate.mode", "filtered");
            p.setProperty("slot.drop.on.stop", "true");
            return p;
        }

        @Override
        public void drop() throws Exception {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                for ( String slot : new String[] {"fcdc_bench_" + id, "fcdc_anchor_" + id} ) {
                    for ( int i = 0 ; i < 100 ; i++ ) {
                        try {
                            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
                            break;
                        } catch (Exception ex) {
                            Thread.sleep(200);
                        }
                    }
                    st.execute("DROP PUBLICATION IF EXISTS " + slot);
                }
                st.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    final class MariaDb implements SourceBenchDatabase {
        static final String HOST = System.getenv().getOrDefault("MARIADB_HOST", "127.0.0.1");
        static final String PORT = System.getenv().getOrDefault("MARIADB_PORT", "3306");
        static final String USER = System.getenv().getOrDefault("MARIADB_USER", "root");
        private final String db;

        MariaDb(String id) {
            this.db = "bench_" + id;
        }

        @Override
        public String name() {
            return "mariadb";
        }

        @Override
        public Connection connect() throws Exception {
            return DriverManager.getConnection("jdbc:mysql://" + HOST + ":" + PORT + "/?user=" + USER + "&allowPublicKeyRetrieval=true&useSSL=false");
        }

        @Override
        public String table() {
            return db + ".item";
        }

        @Override
        public void create(int rows) throws Exception {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + db);
                st.execute("CREATE TABLE " + table() + " (id int PRIMARY KEY, name text, qty int, price decimal(10,2), born date, ref int)");
                st.execute("INSERT INTO " + table() + " SELECT seq, CONCAT('item ', seq), seq % 100, (seq % 1000) / 10.0, DATE '2020-01-01' + INTERVAL (seq % 1000) DAY, seq % 500"
                           + " FROM " + db + ".seq_1_to_" + rows);
            }
        }

        @Override
        public String sourceTurtle(String mapping) {
            return """
                <#source> a cdc:MariaDbSource ;
                    cdc:host "%s" ; cdc:port %s ; cdc:user "%s" ;
                """.formatted(HOST, PORT, USER) + mapping;
        }

        @Override
        public Properties anchorProperties(String tag, String work) {
            Properties p = new Properties();
            engineProperties(p, tag, table());
            p.setProperty("connector.class", "io.debezium.connector.mysql.MySqlConnector");
            p.setProperty("database.hostname", HOST);
            p.setProperty("database.port", PORT);
            p.setProperty("database.user", USER);
            p.setProperty("database.server.id", "6999");
            p.setProperty("database.include.list", java.util.regex.Pattern.quote(db));
            p.setProperty("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
            p.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
            p.setProperty("schema.history.internal.skip.unparseable.ddl", "true");
            p.setProperty("schema.history.internal.store.only.captured.databases.ddl", "true");
            p.setProperty("include.schema.changes", "false");
            p.setProperty("database.jdbc.driver", "org.fusekicdc.source.mariadb.internal.MariaDbDriver");
            return p;
        }

        @Override
        public void drop() throws Exception {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + db);
            }
        }
    }
}

package org.fusekicdc.source.r2rml;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random inserts, updates and deletes on the tables of one test database, each reported as the
 * {@link RowEvent} a source would give (rows read back from the database, so values are as it
 * stores them). Values are drawn mostly from those already in the database, so that joins,
 * duplicates and key clashes happen; a change the database refuses (a key or foreign key) is
 * dropped and another one tried.
 */
final class RandomChanges {
    private final TestDb db;
    private final Connection c;
    private final String namespace;
    private final Random random;
    /** Values in the database by JDBC type, read once per change. */
    private Map<Integer, List<Object>> pool;

    RandomChanges(TestDb db, Connection c, String namespace, Random random) {
        this.db = db;
        this.c = c;
        this.namespace = namespace;
        this.random = random;
    }

    /** The base tables of the test database. */
    List<String> tables() throws SQLException {
        List<String> out = new ArrayList<>();
        DatabaseMetaData md = c.getMetaData();
        try (ResultSet rs = db == TestDb.POSTGRESQL ? md.getTables(null, namespace, "%", new String[] {"TABLE"})
                                                    : md.getTables(namespace, null, "%", new String[] {"TABLE", "BASE TABLE"})) {
            while ( rs.next() )
                out.add(rs.getString("TABLE_NAME"));
        }
        return out;
    }

    /** One applied change, or null when none of a few attempts was accepted. */
    RowEvent next(List<String> tables) throws SQLException {
        pool = null;
        for ( int attempt = 0 ; attempt < 8 ; attempt++ ) {
            String table = tables.get(random.nextInt(tables.size()));
            List<Map<String, Object>> rows = rows(table);
            int op = rows.isEmpty() ? 0 : random.nextInt(3);
            try {
                RowEvent e = switch (op) {
                    case 0 -> insert(table, randomRow(table, null));
                    case 1 -> update(table, rows.get(random.nextInt(rows.size())));
                    default -> delete(table, rows.get(random.nextInt(rows.size())));
                };
                if ( e != null )
                    return e;
            } catch (SQLException ex) {
                if ( !c.getAutoCommit() ) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
        }
        return null;
    }

    private RowEvent insert(String table, Map<String, Object> row) throws SQLException {
        return RowEvent.insert(table, insertReturning(table, row));
    }

    private RowEvent delete(String table, Map<String, Object> row) throws SQLException {
        Map<String, Object> before = deleteReturning(table, row);
        return before == null ? null : RowEvent.delete(table, before);
    }

    /** With a primary key an UPDATE by key; without, one row deleted and its changed copy inserted, in one transaction. */
    private RowEvent update(String table, Map<String, Object> row) throws SQLException {
        List<String> key = primaryKey(table);
        Map<String, Object> changed = new LinkedHashMap<>(row);
        Map<String, Object> fresh = randomRow(table, row);
        List<String> cols = new ArrayList<>(row.keySet());
        int n = 1 + random.nextInt(Math.min(2, cols.size()));
        for ( int i = 0 ; i < n ; i++ ) {
            String col = cols.get(random.nextInt(cols.size()));
            changed.put(col, fresh.get(col));
        }
        if ( !key.isEmpty() ) {
            StringBuilder sql = new StringBuilder("UPDATE " + q(table) + " SET ");
            List<Object> params = new ArrayList<>();
            int i = 0;
            for ( String col : cols ) {
                sql.append(i++ == 0 ? "" : ", ").append(q(col)).append(" = ?");
                params.add(changed.get(col));
            }
            sql.append(where(key, row, params));
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                bind(ps, params);
                if ( ps.executeUpdate() != 1 )
                    return null;
            }
            List<Object> p2 = new ArrayList<>();
            String select = "SELECT * FROM " + q(table) + where(key, changed, p2);
            try (PreparedStatement ps = c.prepareStatement(select)) {
                bind(ps, p2);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? RowEvent.update(table, row, values(rs)) : null;
                }
            }
        }
        c.setAutoCommit(false);
        Map<String, Object> before = deleteReturning(table, row);
        if ( before == null ) {
            c.rollback();
            c.setAutoCommit(true);
            return null;
        }
        Map<String, Object> after = insertReturning(table, changed);
        c.commit();
        c.setAutoCommit(true);
        return RowEvent.update(table, before, after);
    }

    private Map<String, Object> insertReturning(String table, Map<String, Object> row) throws SQLException {
        List<String> cols = new ArrayList<>(row.keySet());
        String sql = "INSERT INTO " + q(table) + " (" + String.join(", ", cols.stream().map(RandomChanges::q).toList()) + ") VALUES ("
                     + String.join(", ", cols.stream().map(x -> "?").toList()) + ") RETURNING *";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, cols.stream().map(row::get).toList());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return values(rs);
            }
        }
    }

    /** Deletes one row equal to {@code row} in its exactly comparable columns; the row deleted. */
    private Map<String, Object> deleteReturning(String table, Map<String, Object> row) throws SQLException {
        Map<String, Integer> types = types(table);
        List<String> exact = row.keySet().stream().filter(col -> exactlyComparable(types.get(col))).toList();
        List<Object> params = new ArrayList<>();
        String where = where(exact, row, params);
        String sql = db == TestDb.POSTGRESQL
            ? "DELETE FROM " + q(table) + " WHERE ctid IN (SELECT ctid FROM " + q(table) + where + " LIMIT 1) RETURNING *"
            : "DELETE FROM " + q(table) + where + " LIMIT 1 RETURNING *";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? values(rs) : null;
            }
        }
    }

    private static String where(List<String> cols, Map<String, Object> row, List<Object> params) {
        if ( cols.isEmpty() )
            return "";
        List<String> conds = new ArrayList<>();
        for ( String col : cols ) {
            Object v = row.get(col);
            if ( v == null ) {
                conds.add(q(col) + " IS NULL");
            } else {
                conds.add(q(col) + " = ?");
                params.add(v);
            }
        }
        return " WHERE " + String.join(" AND ", conds);
    }

    private static boolean exactlyComparable(Integer type) {
        return switch (type) {
            case Types.INTEGER, Types.SMALLINT, Types.BIGINT, Types.TINYINT, Types.VARCHAR, Types.CHAR, Types.DATE, Types.BOOLEAN, Types.BIT -> true;
            default -> false;
        };
    }

    private Map<String, Object> randomRow(String table, Map<String, Object> like) throws SQLException {
        Map<String, Object> row = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + q(table) + " WHERE 1 = 0")) {
            ResultSetMetaData md = rs.getMetaData();
            for ( int i = 1 ; i <= md.getColumnCount() ; i++ )
                row.put(md.getColumnLabel(i), randomValue(table, md.getColumnLabel(i), md.getColumnType(i), md.getPrecision(i)));
        }
        return row;
    }

    private Object randomValue(String table, String column, int type, int precision) throws SQLException {
        if ( random.nextInt(10) == 0 && !primaryKey(table).contains(column) )
            return null;
        if ( random.nextBoolean() ) {
            Object existing = existingValue(type);
            if ( existing != null )
                return existing;
        }
        return switch (type) {
            case Types.INTEGER, Types.SMALLINT, Types.BIGINT, Types.TINYINT -> random.nextInt(4) * (random.nextBoolean() ? 1 : 10);
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> random.nextInt(100) + random.nextInt(4) * 0.25;
            case Types.DECIMAL, Types.NUMERIC -> BigDecimal.valueOf(random.nextInt(10000), 2);
            case Types.BOOLEAN, Types.BIT -> random.nextBoolean();
            case Types.DATE -> LocalDate.of(2000 + random.nextInt(20), 1 + random.nextInt(12), 1 + random.nextInt(28));
            case Types.TIMESTAMP -> LocalDateTime.of(2000 + random.nextInt(20), 1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24), random.nextInt(60));
            case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY -> new byte[] {(byte)random.nextInt(), (byte)random.nextInt()};
            default -> {
                String s = List.of("A", "B b", "x/y", "Tennis", "10", "café").get(random.nextInt(6));
                yield precision > 0 && s.length() > precision ? s.substring(0, precision) : s;
            }
        };
    }

    /** A value some column of this type holds somewhere in the database, or null. */
    private Object existingValue(int type) throws SQLException {
        if ( pool == null ) {
            pool = new java.util.HashMap<>();
            for ( String t : tables() ) {
                Map<String, Integer> types = types(t);
                for ( Map<String, Object> r : rows(t) )
                    r.forEach((col, v) -> {
                        if ( v != null )
                            pool.computeIfAbsent(types.get(col), k -> new ArrayList<>()).add(v);
                    });
            }
        }
        List<Object> values = pool.getOrDefault(type, List.of());
        return values.isEmpty() ? null : values.get(random.nextInt(values.size()));
    }

    private List<Map<String, Object>> rows(String table) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + q(table))) {
            while ( rs.next() )
                out.add(values(rs));
        }
        return out;
    }

    private Map<String, Integer> types(String table) throws SQLException {
        Map<String, Integer> out = new LinkedHashMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + q(table) + " WHERE 1 = 0")) {
            ResultSetMetaData md = rs.getMetaData();
            for ( int i = 1 ; i <= md.getColumnCount() ; i++ )
                out.put(md.getColumnLabel(i), md.getColumnType(i));
        }
        return out;
    }

    private List<String> primaryKey(String table) throws SQLException {
        List<String> out = new ArrayList<>();
        DatabaseMetaData md = c.getMetaData();
        try (ResultSet rs = db == TestDb.POSTGRESQL ? md.getPrimaryKeys(null, namespace, table) : md.getPrimaryKeys(namespace, null, table)) {
            while ( rs.next() )
                out.add(rs.getString("COLUMN_NAME"));
        }
        return out;
    }

    private static Map<String, Object> values(ResultSet rs) throws SQLException {
        Map<String, Object> out = new LinkedHashMap<>();
        ResultSetMetaData md = rs.getMetaData();
        for ( int i = 1 ; i <= md.getColumnCount() ; i++ )
            out.put(md.getColumnLabel(i), rs.getObject(i));
        return out;
    }

    private static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
        for ( int i = 0 ; i < params.size() ; i++ ) {
            Object v = params.get(i);
            if ( v == null )
                ps.setNull(i + 1, Types.NULL);
            else
                ps.setObject(i + 1, v);
        }
    }

    static String q(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}

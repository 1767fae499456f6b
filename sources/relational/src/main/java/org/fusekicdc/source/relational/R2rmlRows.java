package org.fusekicdc.source.relational;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.fusekicdc.source.r2rml.QuadDelta;
import org.fusekicdc.source.r2rml.R2rmlException;
import org.fusekicdc.source.r2rml.R2rmlMaintainer;
import org.fusekicdc.source.r2rml.RowEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RowMapper} of an R2RML mapping: each row event becomes a {@link RowEvent} with JDBC-like
 * values ({@link JdbcLikeValues}) and its change is the {@link R2rmlMaintainer}'s exact delta,
 * computed inside the dataset's write transaction against the dataset as it is then. The
 * maintainer reads the database (joins, re-evaluated queries) on a connection of its own.
 */
public final class R2rmlRows implements RowMapper {
    private static final Logger LOG = LoggerFactory.getLogger(R2rmlRows.class);

    private final RelationalSettings settings;
    private final Connection connection;
    private final R2rmlMaintainer maintainer;
    /** Per captured table, column to the class JDBC gives its values as. */
    private final Map<String, Map<String, String>> classes = new LinkedHashMap<>();

    private R2rmlRows(RelationalSettings settings, Connection connection) throws SQLException {
        this.settings = settings;
        this.connection = connection;
        this.maintainer = new R2rmlMaintainer(settings.r2rml(), connection);
        for ( String t : settings.capturedTables() )
            classes.put(t, columnClasses(connection, t));
    }

    /**
     * The mapper over an open connection, which it closes when closed.
     *
     * @throws SQLException when the database cannot be read (retry later)
     */
    public static R2rmlRows open(RelationalSettings settings, Connection connection) throws SQLException {
        try {
            return new R2rmlRows(settings, connection);
        } catch (SQLException | RuntimeException ex) {
            connection.close();
            throw ex;
        }
    }

    private static Map<String, String> columnClasses(Connection c, String table) throws SQLException {
        String[] st = table.split("\\.", 2);
        String sql = "SELECT * FROM " + quote(st[0]) + "." + quote(st[1]) + " WHERE 1 = 0";
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            for ( int i = 1 ; i <= md.getColumnCount() ; i++ )
                out.put(md.getColumnLabel(i), md.getColumnClassName(i));
        }
        return out;
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public List<String> tables() {
        return settings.capturedTables();
    }

    @Override
    public DatasetChange row(String table, String op, Struct key, Struct before, Struct after) {
        Map<String, String> cls = classes.getOrDefault(table, Map.of());
        Map<String, Object> a = after == null ? null : JdbcLikeValues.row(after, cls);
        // PostgreSQL's default replica identity sends no before image with an update: the key
        // identifies the old row's subject, which is all the maintainer reads of it.
        Struct old = before != null ? before : key;
        Map<String, Object> b = old == null ? null : JdbcLikeValues.row(old, cls);
        RowEvent event = switch (op) {
            case "c", "r" -> RowEvent.insert(table, a);
            case "u" -> {
                if ( b == null )
                    throw new UnmappableRowException("an update without before image or key: the old row's triples cannot be found; give the table a primary key");
                yield RowEvent.update(table, b, a);
            }
            case "d" -> {
                if ( b == null )
                    throw new UnmappableRowException("a delete without before image or key; give the table a primary key");
                yield RowEvent.delete(table, b);
            }
            default -> throw new UnmappableRowException("unknown change operation '" + op + "'");
        };
        String where = "table " + table + ", key " + keyText(key) + ", op " + op;
        return dsg -> apply(dsg, where, d -> maintainer.delta(event, d));
    }

    /** The key of a row as {@code col=value, ...}, for messages. */
    static String keyText(Struct keyRow) {
        if ( keyRow == null )
            return "(no key)";
        List<String> parts = new ArrayList<>();
        for ( Field f : keyRow.schema().fields() )
            parts.add(f.name() + "=" + keyRow.get(f));
        return String.join(", ", parts);
    }

    @Override
    public DatasetChange clear(String table) {
        return dsg -> apply(dsg, "table " + table + " cleared", d -> maintainer.clear(table, d));
    }

    @Override
    public DatasetChange truncate(String table) {
        return dsg -> apply(dsg, "TRUNCATE of table " + table, d -> maintainer.truncate(table, d));
    }

    private void apply(DatasetGraph dsg, String where, Function<DatasetGraph, QuadDelta> delta) {
        QuadDelta d;
        try {
            d = delta.apply(dsg);
        } catch (R2rmlException ex) {
            if ( ex.getCause() instanceof SQLException )
                throw ex;   // the database: the engine restarts and sends the events again
            if ( settings.skipUnmappable() ) {
                LOG.warn("Source '{}' (dataset '{}'): skipped a row the R2RML mapping cannot turn into RDF: {}: {}", settings.name(), settings.dataset(),
                         where, ex.getMessage());
                return;
            }
            throw new UnmappableRowException(where + ": " + ex.getMessage());
        }
        d.applyTo(dsg);
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ex) {
            LOG.warn("Source '{}' (dataset '{}'): closing the R2RML connection: {}", settings.name(), settings.dataset(), ex.toString());
        }
    }
}

package org.fusekicdc.source.r2rml;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.source.r2rml.TriplesMap.JoinCondition;
import org.fusekicdc.source.r2rml.TriplesMap.PredicateObjectMap;
import org.fusekicdc.source.r2rml.TriplesMap.RefObjectMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates an R2RML mapping over a JDBC connection (PostgreSQL, MariaDB/MySQL or any database
 * that takes SQL with double-quoted identifiers). Each triples map's logical table is read
 * once, each referencing object map with join conditions by one joint query; rows are streamed
 * (fetch size 1000; PostgreSQL streams only with auto-commit off).
 *
 * <p>On MariaDB/MySQL the session gets {@code ANSI_QUOTES} added to its {@code sql_mode}, since
 * R2RML writes delimited identifiers with double quotes.
 */
public final class R2rmlEvaluator {
    private static final Logger LOG = LoggerFactory.getLogger(R2rmlEvaluator.class);
    static final String CHILD = "r2rml_child";
    static final String PARENT = "r2rml_parent";
    private static final String PARENT_COLUMN = "r2rml_parent_";

    private final R2rmlMapping mapping;
    private final Connection connection;
    private final List<Unit> units;
    private final Map<LogicalTable, Map<String, Integer>> columnTypes = new HashMap<>();
    private final Map<LogicalTable, Set<String>> primaryKeys = new HashMap<>();
    private final Map<LogicalTable, String> fromItems = new HashMap<>();

    /** A column of a logical table equal to one of the values (SQL {@code IN}). */
    record Condition(String alias, String column, List<Object> values) {}

    /**
     * @throws R2rmlException if the session cannot be prepared
     */
    public R2rmlEvaluator(R2rmlMapping mapping, Connection connection) {
        this.mapping = mapping;
        this.connection = connection;
        this.units = unitsOf(mapping);
        prepareSession(connection);
    }

    private static List<Unit> unitsOf(R2rmlMapping mapping) {
        List<Unit> out = new ArrayList<>();
        for ( TriplesMap tm : mapping.triplesMaps() ) {
            if ( !tm.classes().isEmpty() )
                out.add(Unit.classes(tm));
            for ( PredicateObjectMap pom : tm.predicateObjectMaps() ) {
                if ( !pom.objects().isEmpty() )
                    out.add(new Unit(tm, pom, null, null));
                for ( RefObjectMap ref : pom.refs() )
                    out.add(new Unit(tm, pom, ref, mapping.triplesMap(ref.parentName())));
            }
        }
        return List.copyOf(out);
    }

    private static void prepareSession(Connection c) {
        try {
            String product = c.getMetaData().getDatabaseProductName().toLowerCase();
            if ( !product.contains("mariadb") && !product.contains("mysql") )
                return;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@SESSION.sql_mode")) {
                rs.next();
                String mode = rs.getString(1);
                if ( mode != null && (mode.contains("ANSI_QUOTES") || mode.matches("(^|.*,)ANSI(,.*|$)")) )
                    return;
                st.execute("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'ANSI_QUOTES')");
                LOG.info("R2RML: added ANSI_QUOTES to the session's sql_mode (was '{}'): R2RML delimits identifiers with double quotes", mode);
            }
        } catch (SQLException ex) {
            throw new R2rmlException("Cannot prepare the database session for R2RML (sql_mode ANSI_QUOTES): " + ex.getMessage(), ex);
        }
    }

    public R2rmlMapping mapping() {
        return mapping;
    }

    List<Unit> units() {
        return units;
    }

    /**
     * What in the mapping does not fit the database, without reading any row: one line per
     * logical table the database rejects and per column a map reads that its logical table does
     * not have (join columns included). Empty when the mapping fits.
     */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        for ( TriplesMap tm : mapping.triplesMaps() ) {
            try {
                columnTypes(tm, tm.table());
            } catch (R2rmlException ex) {
                out.add(ex.getMessage());
                continue;
            }
            List<String> names = new ArrayList<>(tm.subject().columns());
            tm.graphs().forEach(g -> names.addAll(g.columns()));
            for ( PredicateObjectMap pom : tm.predicateObjectMaps() ) {
                for ( List<TermMap> maps : List.of(pom.predicates(), pom.objects(), pom.graphs()) )
                    maps.forEach(m -> names.addAll(m.columns()));
                for ( RefObjectMap ref : pom.refs() ) {
                    TriplesMap parent = mapping.triplesMap(ref.parentName());
                    for ( JoinCondition jc : ref.joins() ) {
                        names.add(jc.child());
                        if ( parent != null )
                            check(parent, jc.parent(), out);
                    }
                }
            }
            for ( String n : new java.util.LinkedHashSet<>(names) )
                check(tm, n, out);
        }
        return out;
    }

    private void check(TriplesMap tm, String column, List<String> out) {
        try {
            resolve(tm, column);
        } catch (R2rmlException ex) {
            out.add(ex.getMessage());
        }
    }

    /** The whole mapping's output, in memory. */
    public DatasetGraph evaluate() {
        DatasetGraph dsg = DatasetGraphFactory.create();
        evaluate(dsg::add);
        return dsg;
    }

    /**
     * The whole mapping's output; a quad produced by several rows may be given more than once.
     *
     * @throws R2rmlException for a data error (unknown column, invalid IRI, SQL rejected), naming the triples map
     */
    public void evaluate(Consumer<Quad> out) {
        for ( TriplesMap tm : mapping.triplesMaps() ) {
            List<Unit> rowUnits = units.stream().filter(u -> u.map() == tm && !u.isJoin()).toList();
            // The subject map is evaluated on every row even when no unit is, so that data errors show.
            Unit subjectOnly = new Unit(tm, new PredicateObjectMap(List.of(), List.of(), List.of(), List.of()), null, null);
            scanRows(tm, tm.table(), List.of(), row -> {
                subjectOnly.quads(row, row, mapping.base(), out);
                for ( Unit u : rowUnits )
                    u.quads(row, row, mapping.base(), out);
            });
            for ( Unit u : units )
                if ( u.map() == tm && u.isJoin() )
                    scan(u, List.of(), out);
        }
    }

    /** The unit's quads over the rows of its logical table(s) that meet the conditions. */
    void scan(Unit u, List<Condition> conditions, Consumer<Quad> out) {
        if ( !u.isJoin() ) {
            scanRows(u.map(), u.map().table(), conditions, row -> u.quads(row, row, mapping.base(), out));
            return;
        }
        TriplesMap child = u.map();
        TriplesMap parent = u.parent();
        List<String> parentColumns = resolveAll(parent, parent.subject().columns());
        StringBuilder sql = new StringBuilder("SELECT ").append(quote(CHILD)).append(".*");
        for ( int i = 0 ; i < parentColumns.size() ; i++ )
            sql.append(", ").append(quote(PARENT)).append('.').append(quote(parentColumns.get(i))).append(" AS ").append(quote(PARENT_COLUMN + i));
        sql.append(" FROM ").append(from(child.table())).append(" AS ").append(quote(CHILD))
           .append(" JOIN ").append(from(parent.table())).append(" AS ").append(quote(PARENT)).append(" ON ");
        List<String> on = new ArrayList<>();
        for ( JoinCondition jc : u.ref().joins() )
            on.add(quote(CHILD) + "." + quote(resolve(child, jc.child())) + " = " + quote(PARENT) + "." + quote(resolve(parent, jc.parent())));
        sql.append(String.join(" AND ", on));
        List<Object> params = where(sql, conditions, false);
        int childCount = columnTypes(child, child.table()).size();
        query(child, sql.toString(), params, rs -> {
            Map<String, Object> c = new LinkedHashMap<>();
            ResultSetMetaData md = rs.getMetaData();
            for ( int i = 1 ; i <= childCount ; i++ )
                c.put(md.getColumnLabel(i), unpadded(md.getColumnType(i), NaturalLiterals.normalise(rs.getObject(i))));
            Map<String, Object> p = new LinkedHashMap<>();
            for ( int i = 0 ; i < parentColumns.size() ; i++ )
                p.put(parentColumns.get(i), unpadded(md.getColumnType(childCount + 1 + i), NaturalLiterals.normalise(rs.getObject(childCount + 1 + i))));
            u.quads(new Row(c), new Row(p), mapping.base(), out);
        });
    }

    /**
     * For a row held in memory on one side of a joining unit: the unit's quads with the rows of
     * the other side that the database has now and that join it.
     */
    void scanJoining(Unit u, Row known, boolean knownIsChild, Consumer<Quad> out) {
        TriplesMap other = knownIsChild ? u.parent() : u.map();
        List<Condition> conditions = new ArrayList<>();
        for ( JoinCondition jc : u.ref().joins() ) {
            Object v = known.value(knownIsChild ? jc.child() : jc.parent());
            if ( v == null )
                return;
            conditions.add(new Condition(CHILD, resolve(other, knownIsChild ? jc.parent() : jc.child()), List.of(v)));
        }
        scanRows(other, other.table(), conditions,
                 row -> u.quads(knownIsChild ? known : row, knownIsChild ? row : known, mapping.base(), out));
    }

    private void scanRows(TriplesMap tm, LogicalTable table, List<Condition> conditions, Consumer<Row> rows) {
        StringBuilder sql = new StringBuilder("SELECT * FROM ").append(from(table)).append(" AS ").append(quote(CHILD));
        List<Object> params = where(sql, conditions, false);
        query(tm, sql.toString(), params, rs -> {
            ResultSetMetaData md = rs.getMetaData();
            Map<String, Object> values = new LinkedHashMap<>();
            for ( int i = 1 ; i <= md.getColumnCount() ; i++ ) {
                String label = md.getColumnLabel(i);
                if ( values.containsKey(label) )
                    throw new R2rmlException(tm + ": its logical table (" + table + ") has two columns named " + label
                                             + "; a column name must be unique. Rename one with AS.");
                values.put(label, unpadded(md.getColumnType(i), NaturalLiterals.normalise(rs.getObject(i))));
            }
            rows.accept(new Row(values));
        });
    }

    /**
     * A CHAR(n) value without the spaces that pad it: PostgreSQL returns them, MariaDB/MySQL do
     * not, and the W3C tests expect the value as written.
     */
    static Object unpadded(int jdbcType, Object value) {
        if ( (jdbcType == Types.CHAR || jdbcType == Types.NCHAR) && value instanceof String s )
            return s.stripTrailing();
        return value;
    }

    /** A row event's row as the logical table (a base table) gives it: CHAR values unpadded. */
    Row row(TriplesMap tm, Map<String, Object> values) {
        Map<String, Integer> types = columnTypes(tm, tm.table());
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, unpadded(types.getOrDefault(k, Types.OTHER), v)));
        return new Row(out);
    }

    private static List<Object> where(StringBuilder sql, List<Condition> conditions, boolean hasWhere) {
        List<Object> params = new ArrayList<>();
        boolean first = !hasWhere;
        for ( Condition c : conditions ) {
            sql.append(first ? " WHERE " : " AND ");
            first = false;
            sql.append(quote(c.alias())).append('.').append(quote(c.column())).append(" IN (");
            for ( int i = 0 ; i < c.values().size() ; i++ ) {
                sql.append(i == 0 ? "?" : ", ?");
                params.add(c.values().get(i));
            }
            sql.append(')');
        }
        return params;
    }

    private interface RowHandler {
        void row(ResultSet rs) throws SQLException;
    }

    private void query(TriplesMap tm, String sql, List<Object> params, RowHandler handler) {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(1000);
            for ( int i = 0 ; i < params.size() ; i++ )
                ps.setObject(i + 1, params.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                while ( rs.next() )
                    handler.row(rs);
            }
        } catch (SQLException ex) {
            throw new R2rmlException(tm + ": the database rejected the query for its logical table (" + tm.table() + "): "
                                     + ex.getMessage() + " [SQL: " + sql + "]. Check the table name or query in the mapping.", ex);
        }
    }

    /** The columns of a logical table and their JDBC types ({@link java.sql.Types}), read once. */
    Map<String, Integer> columnTypes(TriplesMap tm, LogicalTable table) {
        Map<String, Integer> known = columnTypes.get(table);
        if ( known != null )
            return known;
        Map<String, Integer> types = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT * FROM " + from(table) + " AS " + quote(CHILD) + " WHERE 1 = 0");
             ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData md = rs.getMetaData();
            for ( int i = 1 ; i <= md.getColumnCount() ; i++ )
                types.put(md.getColumnLabel(i), md.getColumnType(i));
        } catch (SQLException ex) {
            throw new R2rmlException(tm + ": the database rejected the query for its logical table (" + table + "): " + ex.getMessage()
                                     + ". Check the table name or query in the mapping.", ex);
        }
        columnTypes.put(table, types);
        return types;
    }

    /** The database's label for a column the mapping names, in the triples map's logical table. */
    String resolve(TriplesMap tm, String mappingName) {
        try {
            return Row.resolve(mappingName, columnTypes(tm, tm.table()).keySet());
        } catch (R2rmlException ex) {
            throw new R2rmlException(tm + ": " + ex.getMessage(), ex);
        }
    }

    private List<String> resolveAll(TriplesMap tm, List<String> names) {
        return names.stream().map(n -> resolve(tm, n)).toList();
    }

    /**
     * The logical table as SQL after FROM. An undelimited {@code rr:tableName} that the catalogue
     * has with exactly that spelling is quoted, so that {@code "Student"} finds a table created as
     * {@code "Student"} although PostgreSQL folds undelimited names to lower case; any other name
     * is sent as written.
     */
    String from(LogicalTable table) {
        return fromItems.computeIfAbsent(table, t -> {
            if ( !t.isTableName() || t.tableName().contains("\"") )
                return t.fromItem();
            String[] parts = t.tableName().strip().split("\\.");
            try (ResultSet rs = connection.getMetaData().getTables(connection.getCatalog(), parts.length > 1 ? parts[parts.length - 2] : null,
                                                                   parts[parts.length - 1], null)) {
                while ( rs.next() )
                    if ( rs.getString("TABLE_NAME").equals(parts[parts.length - 1]) )
                        return java.util.Arrays.stream(parts).map(R2rmlEvaluator::quote).collect(java.util.stream.Collectors.joining("."));
            } catch (SQLException ex) {
                throw new R2rmlException("Cannot read the database catalogue for " + t + ": " + ex.getMessage(), ex);
            }
            return t.fromItem();
        });
    }

    /**
     * The primary key columns of a base table (labels as the database spells them), empty when
     * it has none or the catalogue does not say. The schema is asked for as a schema and, when
     * that finds nothing, as a catalogue (MariaDB's databases); a key found in several schemas
     * gives their union, which only makes fewer units own their subjects.
     */
    Set<String> primaryKey(TriplesMap tm) {
        return primaryKeys.computeIfAbsent(tm.table(), t -> {
            String[] parts = t.tableName().strip().replace("\"", "").split("\\.");
            String schema = parts.length > 1 ? parts[parts.length - 2] : null;
            Set<String> out = new HashSet<>();
            try {
                DatabaseMetaData md = connection.getMetaData();
                for ( String name : List.of(parts[parts.length - 1], parts[parts.length - 1].toLowerCase(), parts[parts.length - 1].toUpperCase()) ) {
                    try (ResultSet rs = md.getPrimaryKeys(null, schema, name)) {
                        while ( rs.next() )
                            out.add(rs.getString("COLUMN_NAME"));
                    }
                    if ( out.isEmpty() && schema != null ) {
                        try (ResultSet rs = md.getPrimaryKeys(schema, null, name)) {
                            while ( rs.next() )
                                out.add(rs.getString("COLUMN_NAME"));
                        }
                    }
                    if ( !out.isEmpty() )
                        break;
                }
            } catch (SQLException ex) {
                throw new R2rmlException(tm + ": cannot read the primary key of " + t + " from the database catalogue: " + ex.getMessage(), ex);
            }
            return Set.copyOf(out);
        });
    }

    /** Whether a {@code rr:tableName} names a view (read from the database's catalogue). */
    boolean isView(TriplesMap tm) {
        String name = tm.table().bareName();
        try {
            DatabaseMetaData md = connection.getMetaData();
            for ( String candidate : List.of(name, name.toLowerCase(), name.toUpperCase()) ) {
                try (ResultSet rs = md.getTables(connection.getCatalog(), null, candidate, null)) {
                    while ( rs.next() ) {
                        if ( String.valueOf(rs.getString("TABLE_TYPE")).toUpperCase().contains("VIEW") )
                            return true;
                    }
                }
            }
            return false;
        } catch (SQLException ex) {
            throw new R2rmlException(tm + ": cannot read the database catalogue for " + tm.table() + ": " + ex.getMessage(), ex);
        }
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}

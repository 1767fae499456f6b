package org.fusekicdc.source.r2rml;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row change of a base table, as a source reports it: the row before (null for an insert)
 * and after (null for a delete), column name to value. Values are those of
 * {@link NaturalLiterals}; JDBC date/time values are turned into java.time ones here. The before
 * row needs only the columns the subject maps (and, for a table that is the parent of a join,
 * the parent's subject map) read: with PostgreSQL's default replica identity, the key.
 *
 * @param table the table's name, optionally schema-qualified ({@code public.customer}); matched
 *              against {@code rr:tableName} without its schema, exactly when the mapping
 *              delimits the name with quotes, else ignoring case
 */
public record RowEvent(String table, Map<String, Object> before, Map<String, Object> after) {

    public RowEvent {
        if ( table == null || table.isBlank() )
            throw new IllegalArgumentException("RowEvent needs the table name");
        if ( before == null && after == null )
            throw new IllegalArgumentException("RowEvent on " + table + " has neither a before nor an after row");
        before = normalised(before);
        after = normalised(after);
    }

    public static RowEvent insert(String table, Map<String, Object> row) {
        return new RowEvent(table, null, row);
    }

    public static RowEvent update(String table, Map<String, Object> before, Map<String, Object> after) {
        return new RowEvent(table, before, after);
    }

    public static RowEvent delete(String table, Map<String, Object> row) {
        return new RowEvent(table, row, null);
    }

    private static Map<String, Object> normalised(Map<String, Object> row) {
        if ( row == null )
            return null;
        Map<String, Object> copy = new LinkedHashMap<>();
        row.forEach((k, v) -> copy.put(k, NaturalLiterals.normalise(v)));
        return Collections.unmodifiableMap(copy);
    }
}

package org.fusekicdc.source.relational;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Struct;

/** {@link RowMapper} of cdc:table mappings: each row is a subject from a template, one triple per mapped column. */
public final class MappedTables implements RowMapper {
    private final Map<String, TableMapping> byTable = new LinkedHashMap<>();

    public MappedTables(List<TableMapping> tables) {
        tables.forEach(t -> byTable.put(t.table(), t));
    }

    @Override
    public List<String> tables() {
        return List.copyOf(byTable.keySet());
    }

    @Override
    public DatasetChange row(String table, String op, Struct key, Struct before, Struct after) {
        return RowChange.of(byTable.get(table), op, key, op.equals("d") ? before : after);
    }

    @Override
    public DatasetChange clear(String table) {
        return new TableClear(byTable.get(table));
    }
}

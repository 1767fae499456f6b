package org.fusekicdc.source.relational;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Start-up check that every mapped table and column exists, through the standard information_schema. */
public final class MappingCheck {
    private MappingCheck() {}

    /**
     * What does not fit: one line per missing table or column (with the table's columns); empty
     * when the mapping fits. Tables are {@code schema.table} (MariaDB: {@code database.table}).
     */
    public static List<String> problems(Connection c, List<TableMapping> tables, String user) throws SQLException {
        List<String> problems = new ArrayList<>();
        for ( TableMapping t : tables ) {
            String[] st = t.table().split("\\.", 2);
            List<String> cols = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?")) {
                ps.setString(1, st[0]);
                ps.setString(2, st[1]);
                try (ResultSet rs = ps.executeQuery()) {
                    while ( rs.next() )
                        cols.add(rs.getString(1));
                }
            }
            if ( cols.isEmpty() ) {
                problems.add("table " + t.table() + " does not exist (or user " + user + " cannot see it)");
                continue;
            }
            List<String> used = new ArrayList<>(t.subject().columns());
            for ( TableMapping.ColumnMapping cm : t.columns() ) {
                used.add(cm.column());
                if ( cm.objectTemplate() != null )
                    used.addAll(cm.objectTemplate().columns());
            }
            for ( String u : used ) {
                if ( !cols.contains(u) )
                    problems.add("table " + t.table() + " has no column '" + u + "' (columns: " + cols + ")");
            }
        }
        return problems;
    }
}

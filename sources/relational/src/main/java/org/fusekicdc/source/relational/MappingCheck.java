package org.fusekicdc.source.relational;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.fusekicdc.source.r2rml.R2rmlEvaluator;
import org.fusekicdc.source.r2rml.R2rmlException;

/**
 * Start-up check that every mapped table and column exists, through the standard
 * information_schema (and, for an R2RML mapping, every logical table's query).
 */
public final class MappingCheck {
    private MappingCheck() {}

    /**
     * What does not fit the source's mapping, one line each; empty when it fits. Tables are
     * {@code schema.table} (MariaDB: {@code database.table}).
     */
    public static List<String> problems(Connection c, RelationalSettings settings, String user) throws SQLException {
        return settings.tables().isEmpty() ? r2rmlProblems(c, settings, user) : tableProblems(c, settings.tables(), user);
    }

    /** What does not fit cdc:table mappings: one line per missing table or column (with the table's columns). */
    private static List<String> tableProblems(Connection c, List<TableMapping> tables, String user) throws SQLException {
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

    /**
     * What does not fit an R2RML mapping: each table it names that is missing or not a base table
     * (the connector follows base tables), then what the evaluator finds (unknown columns, SQL the
     * database rejects). Empty when the mapping fits.
     */
    private static List<String> r2rmlProblems(Connection c, RelationalSettings settings, String user) throws SQLException {
        List<String> problems = new ArrayList<>();
        for ( String t : settings.capturedTables() ) {
            String[] st = t.split("\\.", 2);
            try (PreparedStatement ps = c.prepareStatement("SELECT table_type FROM information_schema.tables WHERE table_schema = ? AND table_name = ?")) {
                ps.setString(1, st[0]);
                ps.setString(2, st[1]);
                try (ResultSet rs = ps.executeQuery()) {
                    if ( !rs.next() )
                        problems.add("rr:tableName names table " + t + ", which does not exist (or user " + user + " cannot see it; the name must be spelt as the"
                                     + " database's catalogue has it)");
                    else if ( rs.getString(1).toUpperCase().contains("VIEW") )
                        problems.add("rr:tableName names " + t + ", a " + rs.getString(1).toLowerCase() + ": change data capture follows base tables only;"
                                     + " map the view's query with rr:sqlQuery and name its base tables in triples maps of their own");
                }
            }
        }
        if ( !problems.isEmpty() )
            return problems;
        try {
            problems.addAll(new R2rmlEvaluator(settings.r2rml(), c).problems());
        } catch (R2rmlException ex) {
            if ( ex.getCause() instanceof SQLException sql )
                throw sql;
            problems.add(ex.getMessage());
        }
        return problems;
    }
}

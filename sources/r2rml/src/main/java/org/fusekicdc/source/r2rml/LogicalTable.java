package org.fusekicdc.source.r2rml;

/**
 * The rows a triples map reads: a table or view ({@code rr:tableName}) or the result of a query
 * ({@code rr:sqlQuery}), exactly one of the two set.
 *
 * @param sqlVersion null, or the IRI of {@code rr:sqlVersion} (informative: the query is sent as written)
 */
public record LogicalTable(String tableName, String sqlQuery, String sqlVersion) {

    public boolean isTableName() {
        return tableName != null;
    }

    /** The SQL the rows come from: the table name as written, or the query in parentheses. */
    String fromItem() {
        return tableName != null ? tableName : "(" + sqlQuery + ")";
    }

    /** R2RML's effective SQL query, to tell whether two triples maps read the same rows. */
    String effectiveSql() {
        return tableName != null ? "SELECT * FROM " + tableName : sqlQuery.strip();
    }

    /** The table name without quotes and schema, for matching row events (null for a query). */
    String bareName() {
        if ( tableName == null )
            return null;
        String last = tableName.substring(tableName.lastIndexOf('.') + 1).strip();
        return last.startsWith("\"") && last.endsWith("\"") && last.length() > 1 ? last.substring(1, last.length() - 1) : last;
    }

    /** Whether the name was written delimited (then it matches case-sensitively). */
    boolean delimited() {
        return tableName != null && tableName.strip().endsWith("\"");
    }

    @Override
    public String toString() {
        return tableName != null ? "rr:tableName " + tableName : "rr:sqlQuery \"" + sqlQuery.strip() + "\"";
    }
}

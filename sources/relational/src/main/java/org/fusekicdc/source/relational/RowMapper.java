package org.fusekicdc.source.relational;

import java.util.List;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.kafka.connect.data.Struct;

/**
 * The one seam between a database's rows and the dataset: turns a row event into the change it
 * makes to the dataset. Today's implementation is {@link MappedTables} (cdc:table mappings).
 */
public interface RowMapper {
    /** A change of the dataset, applied inside the caller's write transaction. */
    interface DatasetChange {
        void apply(DatasetGraph dsg);
    }

    /** The tables ({@code schema.table}) whose events this mapper takes. */
    List<String> tables();

    /**
     * The change a row event makes.
     *
     * @param table  {@code schema.table}, one of {@link #tables()}
     * @param op     Debezium op: c, u, r (snapshot read) or d
     * @param key    the event key (primary key columns), may be null for tables without one
     * @param row    the after image (c, u, r) or before image (d)
     * @throws UnmappableRowException when the row has no RDF form under the mapping
     */
    DatasetChange row(String table, String op, Struct key, Struct row);

    /** The change that removes every triple the rows of {@code table} gave (TRUNCATE, and before a snapshot). */
    DatasetChange clear(String table);
}

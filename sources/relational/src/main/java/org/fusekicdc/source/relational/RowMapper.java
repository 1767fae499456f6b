package org.fusekicdc.source.relational;

import java.util.List;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.kafka.connect.data.Struct;

/**
 * The one seam between a database's rows and the dataset: turns a row event into the change it
 * makes to the dataset. {@link R2rmlRows} runs every mapping, written in R2RML or compiled from
 * cdc:table ({@link CompiledTables}).
 */
public interface RowMapper extends AutoCloseable {
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
     * @param before the before image (u, d); null when the event has none (PostgreSQL's default
     *               replica identity sends none for an update, only the key for a delete)
     * @param after  the after image (c, u, r)
     * @throws UnmappableRowException when the row has no RDF form under the mapping
     */
    DatasetChange row(String table, String op, Struct key, Struct before, Struct after);

    /** The change that removes every triple the rows of {@code table} may have given (before a snapshot loads them again). */
    DatasetChange clear(String table);

    /** The change a TRUNCATE of {@code table} makes. */
    default DatasetChange truncate(String table) {
        return clear(table);
    }

    /** Release what the mapper holds (a database connection). */
    @Override
    default void close() {}
}

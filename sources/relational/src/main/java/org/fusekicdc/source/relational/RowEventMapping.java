package org.fusekicdc.source.relational;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the connector's row events into dataset changes ({@link RowMapper}). A row the mapping
 * cannot turn into RDF is skipped or stops the source ({@code cdc:onUnmappableRow}); once stopped,
 * this holds why.
 */
final class RowEventMapping {
    // The applier's logger: log settings that name it keep covering these messages.
    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);

    private final RelationalSettings settings;
    private final RowMapper mapper;
    private final String datasetName;
    private final Map<String, String> tableByTopic = new LinkedHashMap<>();
    /** Set when a row could not be mapped and the source must stop. */
    private volatile UnmappableRowException stopCause;

    RowEventMapping(RelationalSettings settings, RowMapper mapper, String datasetName) {
        this.settings = settings;
        this.mapper = mapper;
        this.datasetName = datasetName;
        for ( String t : mapper.tables() )
            tableByTopic.put(settings.topicPrefix() + "." + t, t);
    }

    /** The mapped table whose row events come on {@code topic}, or null if it is not mapped. */
    String table(String topic) {
        return tableByTopic.get(topic);
    }

    /** The dataset change of a row event of a mapped table (TRUNCATE included); null when skipped as unmappable. */
    RowMapper.DatasetChange change(SourceRecord r) {
        return change(table(r.topic()), r);
    }

    /** The dataset change of a row event of {@code table} (TRUNCATE included); null when skipped as unmappable. */
    RowMapper.DatasetChange change(String table, SourceRecord r) {
        Struct v = (Struct)r.value();
        String op = v.getString("op");
        return op.equals("t") ? mapper.truncate(table) : map(table, op, (Struct)r.key(), v.getStruct("before"), v.getStruct("after"));
    }

    /** The dataset change of one row change; null when skipped as unmappable. */
    RowMapper.DatasetChange map(String table, String op, Struct key, Struct before, Struct after) {
        try {
            return mapper.row(table, op, key, before, after);
        } catch (UnmappableRowException ex) {
            String where = "table " + table + ", key " + R2rmlRows.keyText(key) + ", op " + op;
            if ( settings.skipUnmappable() ) {
                LOG.warn("Source '{}' (dataset '{}'): skipped a row the mapping cannot turn into RDF: {}: {}", settings.name(), datasetName, where, ex.getMessage());
                return null;
            }
            throw stop(where + ": " + ex.getMessage());
        }
    }

    /** The source stops for an unmappable row ({@code why}): nothing of its transaction is applied. */
    UnmappableRowException stop(String why) {
        UnmappableRowException stop = new UnmappableRowException("Source '" + settings.name() + "' stopped: " + why
                                                                 + ". Fix the mapping or the row and restart, or set cdc:onUnmappableRow \"skip\".");
        stopCause = stop;
        return stop;
    }

    /** Why the source must stop, or null. */
    UnmappableRowException stopCause() {
        return stopCause;
    }
}

package org.fusekicdc.source.relational;

import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's notifications of the initial snapshot, sent on the event stream (its {@code sink}
 * channel) in order with the rows. The end of a table's scan is the one event a snapshot of
 * empty tables sends: the rows' {@code snapshot=last} marker needs a row, and Debezium's
 * "completed" notification also ends a snapshot that reads no data ({@code no_data}).
 */
final class SnapshotNotifications {
    private SnapshotNotifications() {}

    /** The notifications' topic for a source's {@code topic.prefix}. */
    static String topic(String topicPrefix) {
        return topicPrefix + ".notification";
    }

    /** Set the notification properties: the sink channel added to any the user enabled, its topic ours. */
    static void enable(Map<Object, Object> properties, String topicPrefix) {
        Object channels = properties.get("notification.enabled.channels");
        String list = channels == null ? "" : channels.toString().trim();
        boolean has = false;
        for ( String c : list.split(",") )
            has |= c.trim().equals("sink");
        properties.put("notification.enabled.channels", has ? list : list.isEmpty() ? "sink" : list + ",sink");
        properties.put("notification.sink.topic.name", topic(topicPrefix));
    }

    /** True when the notification reports a table of the initial snapshot read to its end. */
    static boolean tableScanned(SourceRecord r) {
        if ( !(r.value() instanceof Struct v) )
            return false;
        if ( !"Initial Snapshot".equals(v.getString("aggregate_type")) || !"TABLE_SCAN_COMPLETED".equals(v.getString("type")) )
            return false;
        Map<?, ?> data = v.getMap("additional_data");
        return data != null && "SUCCEEDED".equals(data.get("status"));
    }
}

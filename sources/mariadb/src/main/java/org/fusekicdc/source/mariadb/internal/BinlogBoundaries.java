package org.fusekicdc.source.mariadb.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where MariaDB's transactions end, read from the binlog itself ({@code SHOW BINLOG EVENTS}):
 * Debezium's MySQL connector does not see them (MariaDB writes a GTID event where MySQL writes
 * BEGIN), but every transaction ends with an {@code Xid} event (a {@code COMMIT} query for
 * non-transactional tables) before the next one's {@code Gtid} event. Row events carry the
 * binlog position of their rows event (its start, and the connector's offset: its end), so two
 * row events belong to one transaction exactly when no end lies between them; and a transaction
 * is complete once no rows event of a followed table lies between its last row and its end.
 */
public final class BinlogBoundaries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BinlogBoundaries.class);
    /** Events read per query; each query costs a round trip and the server's reading from the position. */
    private static final int PAGE = 2000;
    /** How far past what was read a position may be to read on to it rather than start again there. */
    private static final long READ_ON_BYTES = 1 << 20;
    private static final Pattern TABLE = Pattern.compile("\\(([^()]*)\\)\\s*$");
    /** The GTID in a Gtid event's Info ("BEGIN GTID 0-1-5", "GTID 0-1-3"). */
    private static final Pattern GTID = Pattern.compile("[0-9]+-[0-9]+-[0-9]+");

    private final Callable<Connection> connect;
    private final Set<String> tables;
    private Connection connection;
    /**
     * What was read of the binlog, so that a transaction of many statements costs a query per
     * page of events, not one per statement: file {@code readFile} from {@code readFrom} to
     * {@code readTo}, of which only the transaction ends and the followed tables' Table_map
     * events are kept, by position. The binlog is only appended to, so what was read stays true.
     */
    private String readFile;
    private long readFrom = -1;
    private long readTo = -1;
    private final TreeMap<Long, Mark> marks = new TreeMap<>();

    /**
     * An event that ends a transaction ({@code end}; {@code endPos} as in {@link Scan}; a Gtid
     * event with its {@code gtid}, domain-server-sequence), or else a followed table's Table_map event.
     */
    private record Mark(boolean end, long endPos, String gtid) {}

    /**
     * @param connect how to open a connection to the server
     * @param tables  the followed tables, {@code database.table}
     */
    public BinlogBoundaries(Callable<Connection> connect, Set<String> tables) {
        this.connect = connect;
        this.tables = Set.copyOf(tables);
    }

    /** True when a transaction ends in {@code file} between position {@code from} (an event's start) and {@code to}. */
    public synchronized boolean endBetween(String file, long from, long to) {
        return scan(file, from, to, false).end;
    }

    /** True when, from {@code from} on, the transaction ends before any rows event of a followed table. */
    public synchronized boolean endsBeforeFollowedRows(String file, long from) {
        return !scan(file, from, Long.MAX_VALUE, true).followedRows;
    }

    /**
     * MariaDB's GTID position (BINLOG_GTID_POS) just after the end of the transaction that is in
     * progress at {@code from}: the transaction's own GTID for its replication domain first, the
     * other domains' last ones after it. Null when the server has no such function (MySQL) or the
     * end is not found.
     * <p>
     * The server computes BINLOG_GTID_POS by reading the binlog file from its start, so it is
     * asked once per file (or after a restart); from there the Gtid events read with the
     * transaction ends carry the position forward ({@link #gtidState}).
     */
    public synchronized String gtidPositionAfter(String file, long from) {
        if ( !gtidFunction )
            return null;
        Scan s = scan(file, from, Long.MAX_VALUE, false);
        if ( !s.end || s.endPos < 0 )
            return null;
        if ( gtidState != null && gtidStateAt <= s.endPos ) {
            advanceGtidState(s.endPos);
            return gtidText();
        }
        try (var ps = connection().prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
            ps.setString(1, file);
            ps.setLong(2, s.endPos);
            try (ResultSet rs = ps.executeQuery()) {
                String gtid = rs.next() ? rs.getString(1) : null;
                if ( gtid == null || gtid.isEmpty() )
                    return null;
                gtidState = new LinkedHashMap<>();
                for ( String one : gtid.split(",") ) {
                    String t = one.trim();
                    if ( !t.isEmpty() )
                        gtidState.put(t.substring(0, Math.max(0, t.indexOf('-'))), t);
                }
                gtidStateAt = s.endPos;
                lastGtid = null;
                return gtid;
            }
        } catch (SQLException ex) {
            gtidFunction = false;
            LOG.info("The server has no BINLOG_GTID_POS ({}): patches carry the binlog position only", ex.getMessage());
            return null;
        }
    }

    private boolean gtidFunction = true;
    /** MariaDB's GTID position before the event at {@link #gtidStateAt}: the last GTID of each replication domain, by domain; null when unknown. */
    private Map<String, String> gtidState;
    private long gtidStateAt = -1;
    /** The last GTID carried into {@link #gtidState}: the own GTID of the transaction in progress there; null when not known. */
    private String lastGtid;

    /** Carry {@link #gtidState} over the Gtid events read before {@code to}. */
    private void advanceGtidState(long to) {
        for ( Mark m : marks.subMap(gtidStateAt, true, to, false).values() ) {
            if ( m.gtid() != null ) {
                gtidState.put(m.gtid().substring(0, m.gtid().indexOf('-')), m.gtid());
                lastGtid = m.gtid();
            }
        }
        gtidStateAt = Math.max(gtidStateAt, to);
    }

    /** The GTID position: the transaction's own GTID first, then the other domains'. */
    private String gtidText() {
        StringBuilder b = new StringBuilder(lastGtid == null ? "" : lastGtid);
        for ( String g : gtidState.values() ) {
            if ( !g.equals(lastGtid) )
                b.append(b.isEmpty() ? "" : ",").append(g);
        }
        return b.isEmpty() ? null : b.toString();
    }

    /** @param endPos the position just after the transaction's end event, -1 when it ended at a Gtid or Rotate event or was not found */
    private record Scan(boolean end, boolean followedRows, long endPos) {
        Scan(boolean end, boolean followedRows) {
            this(end, followedRows, -1);
        }
    }

    /**
     * Reads the events from {@code from} up to {@code to} (exclusive) until a transaction end or a
     * followed table's rows: from the events remembered in {@link #marks} as far as they reach,
     * then from the server, a page at a time.
     */
    private Scan scan(String file, long from, long to, boolean stopAtFollowedRows) {
        for ( int attempt = 0 ; ; attempt++ ) {
            try {
                return scanKnown(file, from, to, stopAtFollowedRows);
            } catch (SQLException ex) {
                closeQuietly();
                if ( attempt >= 1 )
                    throw new IllegalStateException("Cannot read the binlog (SHOW BINLOG EVENTS IN '" + file + "' FROM " + readTo + ") to find where the transaction ends: "
                                                    + ex.getMessage() + ". The source's user needs REPLICATION SLAVE and BINLOG MONITOR (MySQL: REPLICATION CLIENT).", ex);
                LOG.debug("Binlog read failed, reconnecting: {}", ex.toString());
            }
        }
    }

    private Scan scanKnown(String file, long from, long to, boolean stopAtFollowedRows) throws SQLException {
        // A little ahead of what was read (a page ended just before the last row's event): read on
        // to it, which keeps the GTID position known.
        boolean more = true;
        while ( more && file.equals(readFile) && from > readTo && from - readTo <= READ_ON_BYTES )
            more = readPage(file);
        if ( !file.equals(readFile) || from < readFrom || from > readTo ) {
            // Another file, or a position outside what was read (a restart): read from here.
            readFile = file;
            readFrom = from;
            readTo = from;
            marks.clear();
            gtidState = null;
        } else {
            // Positions only move forward: what lies before this one is not asked for again.
            if ( gtidState != null && gtidStateAt < from )
                advanceGtidState(from);
            marks.headMap(from).clear();
            readFrom = from;
        }
        long pos = from;
        while ( true ) {
            for ( Map.Entry<Long, Mark> e : marks.tailMap(pos, true).entrySet() ) {
                if ( e.getKey() >= to )
                    return new Scan(false, false);
                Mark m = e.getValue();
                if ( m.end() )
                    return new Scan(true, false, m.endPos());
                if ( stopAtFollowedRows )
                    return new Scan(false, true);
            }
            if ( readTo >= to )
                return new Scan(false, false);
            pos = readTo;
            if ( !readPage(file) )
                return new Scan(false, false);   // the binlog's end: a transaction is written whole, so nothing of it is missing
        }
    }

    /**
     * Read the next page of events after {@link #readTo}, remembering the transaction ends and the
     * followed tables' Table_map events; false when the binlog has no further event.
     */
    private boolean readPage(String file) throws SQLException {
        long start = readTo;
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SHOW BINLOG EVENTS IN '" + file.replace("'", "''") + "' FROM " + readTo + " LIMIT " + PAGE)) {
            while ( rs.next() ) {
                long at = rs.getLong("Pos");
                long endPos = rs.getLong("End_log_pos");
                String type = rs.getString("Event_type");
                String info = rs.getString("Info");
                if ( type.equals("Xid") || (type.equals("Query") && info != null && info.trim().toUpperCase(Locale.ROOT).startsWith("COMMIT")) )
                    marks.put(at, new Mark(true, endPos, null));
                else if ( type.equals("Gtid") ) {
                    Matcher m = info == null ? null : GTID.matcher(info);
                    marks.put(at, new Mark(true, -1, m != null && m.find() ? m.group() : null));
                } else if ( type.equals("Rotate") || type.equals("Stop") )
                    marks.put(at, new Mark(true, -1, null));
                else if ( type.equals("Table_map") && info != null ) {
                    Matcher m = TABLE.matcher(info);
                    if ( m.find() && tables.contains(m.group(1)) )
                        marks.put(at, new Mark(false, -1, null));
                }
                readTo = Math.max(readTo, endPos);
            }
        }
        return readTo > start;
    }

    private Connection connection() throws SQLException {
        if ( connection == null ) {
            try {
                connection = connect.call();
            } catch (SQLException ex) {
                throw ex;
            } catch (Exception ex) {
                throw new SQLException(ex.getMessage(), ex);
            }
        }
        return connection;
    }

    private void closeQuietly() {
        readFile = null;
        marks.clear();
        gtidState = null;
        if ( connection != null ) {
            try {
                connection.close();
            } catch (SQLException ex) {
                // gone already
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }
}

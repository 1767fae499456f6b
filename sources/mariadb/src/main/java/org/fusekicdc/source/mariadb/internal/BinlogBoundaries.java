package org.fusekicdc.source.mariadb.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
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
    private static final int PAGE = 200;
    private static final Pattern TABLE = Pattern.compile("\\(([^()]*)\\)\\s*$");

    private final Callable<Connection> connect;
    private final Set<String> tables;
    private Connection connection;

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
     * progress at {@code from}: the transaction's own GTID for its replication domain. Null when
     * the server has no such function (MySQL) or the end is not found.
     */
    public synchronized String gtidPositionAfter(String file, long from) {
        if ( !gtidFunction )
            return null;
        Scan s = scan(file, from, Long.MAX_VALUE, false);
        if ( !s.end || s.endPos < 0 )
            return null;
        try (var ps = connection().prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
            ps.setString(1, file);
            ps.setLong(2, s.endPos);
            try (ResultSet rs = ps.executeQuery()) {
                String gtid = rs.next() ? rs.getString(1) : null;
                return gtid == null || gtid.isEmpty() ? null : gtid;
            }
        } catch (SQLException ex) {
            gtidFunction = false;
            LOG.info("The server has no BINLOG_GTID_POS ({}): patches carry the binlog position only", ex.getMessage());
            return null;
        }
    }

    private boolean gtidFunction = true;

    /** @param endPos the position just after the transaction's end event, -1 when it ended at a Gtid or Rotate event or was not found */
    private record Scan(boolean end, boolean followedRows, long endPos) {
        Scan(boolean end, boolean followedRows) {
            this(end, followedRows, -1);
        }
    }

    /** Reads the events from {@code from} up to {@code to} (exclusive) until a transaction end or a followed table's rows. */
    private Scan scan(String file, long from, long to, boolean stopAtFollowedRows) {
        long pos = from;
        for ( int attempt = 0 ; ; attempt++ ) {
            try {
                while ( pos < to ) {
                    int seen = 0;
                    long next = pos;
                    try (Statement st = connection().createStatement();
                         ResultSet rs = st.executeQuery("SHOW BINLOG EVENTS IN '" + file.replace("'", "''") + "' FROM " + pos + " LIMIT " + PAGE)) {
                        while ( rs.next() ) {
                            seen++;
                            long at = rs.getLong("Pos");
                            if ( at >= to )
                                return new Scan(false, false);
                            String type = rs.getString("Event_type");
                            String info = rs.getString("Info");
                            if ( type.equals("Xid") || (type.equals("Query") && info != null && info.trim().toUpperCase().startsWith("COMMIT")) )
                                return new Scan(true, false, rs.getLong("End_log_pos"));
                            if ( type.equals("Gtid") || type.equals("Rotate") || type.equals("Stop") )
                                return new Scan(true, false);
                            if ( stopAtFollowedRows && type.equals("Table_map") && info != null ) {
                                Matcher m = TABLE.matcher(info);
                                if ( m.find() && tables.contains(m.group(1)) )
                                    return new Scan(false, true);
                            }
                            next = rs.getLong("End_log_pos");
                        }
                    }
                    if ( seen < PAGE )
                        return new Scan(false, false);   // the binlog's end: a transaction is written whole, so nothing of it is missing
                    pos = next;
                }
                return new Scan(false, false);
            } catch (SQLException ex) {
                closeQuietly();
                if ( attempt >= 1 )
                    throw new IllegalStateException("Cannot read the binlog (SHOW BINLOG EVENTS IN '" + file + "' FROM " + pos + ") to find where the transaction ends: "
                                                    + ex.getMessage() + ". The source's user needs REPLICATION SLAVE and BINLOG MONITOR (MySQL: REPLICATION CLIENT).", ex);
                LOG.debug("Binlog read failed, reconnecting: {}", ex.toString());
            }
        }
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

package org.fusekicdc.source.relational;

import java.util.Comparator;

/**
 * A place in a database's change stream, ordered: PostgreSQL's commit LSN ({@code major} the
 * LSN), a MariaDB/MySQL binlog coordinate ({@code major} the binlog file's number, {@code minor}
 * the offset in it). {@code text} is the database's own form, as written in patch headers.
 */
public record Position(long major, long minor, String text) implements Comparable<Position> {
    private static final Comparator<Position> ORDER = Comparator.comparingLong(Position::major).thenComparingLong(Position::minor);

    @Override
    public int compareTo(Position other) {
        return ORDER.compare(this, other);
    }

    public boolean isAfter(Position other) {
        return other == null || compareTo(other) > 0;
    }

    @Override
    public String toString() {
        return text;
    }
}

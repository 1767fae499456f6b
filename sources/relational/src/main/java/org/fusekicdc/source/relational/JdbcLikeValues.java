package org.fusekicdc.source.relational;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * A Debezium row as the values JDBC's {@code getObject} gives for the same row, so that an R2RML
 * mapping gives the same natural literals from a change event as from a query: each column is
 * decoded from Debezium's representation (days, epoch micro- or milliseconds, decimal structs,
 * zoned strings) and then made the Java class the database's JDBC driver reports for the column
 * (e.g. MariaDB's {@code TINYINT(1)} is a number in the binlog and a Boolean through JDBC; a
 * {@code TIME} loses its fraction of a second through JDBC). Arrays and structured values have
 * no JDBC-like form here and are left out of the row.
 */
final class JdbcLikeValues {
    private JdbcLikeValues() {}

    /**
     * The row's columns.
     *
     * @param classes column to the JDBC class name ({@code ResultSetMetaData.getColumnClassName}); a column missing there keeps its decoded value
     */
    static Map<String, Object> row(Struct row, Map<String, String> classes) {
        Map<String, Object> out = new LinkedHashMap<>();
        for ( Field f : row.schema().fields() ) {
            Object v = row.get(f);
            if ( v == null ) {
                out.put(f.name(), null);
                continue;
            }
            Object decoded = decode(f.schema(), v, f.name());
            if ( decoded != SKIP )
                out.put(f.name(), as(classes.get(f.name()), decoded));
        }
        return out;
    }

    private static final Object SKIP = new Object();

    /** Debezium's value as a plain Java value: numbers, Boolean, String, byte[], java.time. */
    static Object decode(Schema schema, Object v, String column) {
        String logical = schema.name();
        try {
            if ( logical != null ) {
                switch (logical) {
                    case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> {
                        long days = v instanceof java.util.Date d ? Math.floorDiv(d.getTime(), 86_400_000L) : ((Number)v).longValue();
                        return LocalDate.ofEpochDay(days);
                    }
                    case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time" -> {
                        long ms = v instanceof java.util.Date d ? d.getTime() : ((Number)v).longValue();
                        return LocalTime.ofNanoOfDay(ms * 1_000_000L);
                    }
                    case "io.debezium.time.MicroTime" -> {
                        return LocalTime.ofNanoOfDay(((Number)v).longValue() * 1_000L);
                    }
                    case "io.debezium.time.NanoTime" -> {
                        return LocalTime.ofNanoOfDay(((Number)v).longValue());
                    }
                    case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp" -> {
                        long ms = v instanceof java.util.Date d ? d.getTime() : ((Number)v).longValue();
                        return epoch(ms, 1_000_000L);
                    }
                    case "io.debezium.time.MicroTimestamp" -> {
                        return epoch(((Number)v).longValue(), 1_000L);
                    }
                    case "io.debezium.time.NanoTimestamp" -> {
                        return epoch(((Number)v).longValue(), 1L);
                    }
                    case "io.debezium.time.ZonedTimestamp" -> {
                        // JDBC gives a java.sql.Timestamp: the instant in the JVM's time zone.
                        return LocalDateTime.ofInstant(OffsetDateTime.parse(v.toString()).toInstant(), ZoneId.systemDefault());
                    }
                    case "io.debezium.time.ZonedTime" -> {
                        ZoneOffset here = ZoneId.systemDefault().getRules().getOffset(Instant.now());
                        return OffsetTime.parse(v.toString()).withOffsetSameInstant(here).toLocalTime();
                    }
                    case Decimal.LOGICAL_NAME -> {
                        return (BigDecimal)v;
                    }
                    case "io.debezium.data.VariableScaleDecimal" -> {
                        Struct s = (Struct)v;
                        return new BigDecimal(new BigInteger(bytes(s.get("value"))), s.getInt32("scale"));
                    }
                    default -> { /* by its physical type below */ }
                }
            }
        } catch (DateTimeException | ArithmeticException ex) {
            throw new UnmappableRowException("column '" + column + "' has the value " + v + " (" + logical + "), which has no JDBC date/time form: " + ex.getMessage());
        }
        return switch (schema.type()) {
            case BYTES -> bytes(v);
            case ARRAY, MAP, STRUCT -> SKIP;
            default -> v;
        };
    }

    /** The decoded value as the JDBC class {@code jdbcClass} (null: as it is). */
    static Object as(String jdbcClass, Object v) {
        if ( jdbcClass == null )
            return v;
        return switch (jdbcClass) {
            case "java.lang.Boolean" -> v instanceof Number n ? n.longValue() != 0 : v;
            case "java.lang.Integer" -> v instanceof Number n ? (Object)n.intValue() : v;
            case "java.lang.Long" -> v instanceof Number n ? (Object)n.longValue() : v;
            case "java.lang.Short" -> v instanceof Number n ? (Object)n.shortValue() : v;
            case "java.lang.Byte" -> v instanceof Number n ? (Object)n.byteValue() : v;
            case "java.math.BigInteger" -> v instanceof BigDecimal d ? d.toBigInteger() : v instanceof Number n ? new BigInteger(n.toString()) : v;
            case "java.math.BigDecimal" -> v instanceof Number n && !(v instanceof BigDecimal) ? new BigDecimal(n.toString()) : v;
            case "java.lang.Float" -> v instanceof Number n ? (Object)n.floatValue() : v;
            case "java.lang.Double" -> v instanceof Number n ? (Object)n.doubleValue() : v;
            // MySQL's YEAR is a java.sql.Date through JDBC, the year's first day.
            case "java.sql.Date", "java.time.LocalDate" -> v instanceof Number n ? LocalDate.of(n.intValue(), 1, 1) : v;
            // java.sql.Time holds no fraction of a second.
            case "java.sql.Time" -> v instanceof LocalTime t ? t.truncatedTo(ChronoUnit.SECONDS) : v;
            default -> v;
        };
    }

    /** A BYTES value (byte[] or ByteBuffer) as byte[]. */
    static byte[] bytes(Object v) {
        if ( v instanceof byte[] b )
            return b;
        ByteBuffer bb = ((ByteBuffer)v).duplicate();
        byte[] b = new byte[bb.remaining()];
        bb.get(b);
        return b;
    }

    private static LocalDateTime epoch(long units, long nanosPerUnit) {
        long seconds = Math.floorDiv(units, 1_000_000_000L / nanosPerUnit);
        long nanos = Math.floorMod(units, 1_000_000_000L / nanosPerUnit) * nanosPerUnit;
        return LocalDateTime.ofEpochSecond(seconds, (int)nanos, ZoneOffset.UTC);
    }
}

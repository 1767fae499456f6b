package org.fusekicdc.source.relational;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

import org.apache.jena.datatypes.RDFDatatype;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * A column value of a Debezium change event as RDF: its lexical form and natural datatype.
 * Debezium's PostgreSQL types (default {@code time.precision.mode} adaptive, {@code
 * decimal.handling.mode} precise) map as: integers to xsd:integer, real and double to xsd:double,
 * numeric to xsd:decimal (canonical form, as TDB2 stores it), boolean to xsd:boolean, date to xsd:date, time to xsd:time, timestamp
 * and timestamptz to xsd:dateTime, bytea to xsd:base64Binary, everything textual (text, varchar,
 * uuid, json, enum) to xsd:string. Arrays and other structured types cannot be mapped.
 */
final class RowValues {
    /** A value: lexical form and the datatype it has unless the mapping says otherwise. */
    record Value(String lexical, RDFDatatype datatype) {}

    private RowValues() {}

    /** The value of a column of a row, null for SQL NULL. */
    static Value value(Struct row, String column) {
        Field f = row.schema().field(column);
        if ( f == null )
            throw new UnmappableRowException("the change event has no column '" + column + "' (columns: "
                                             + row.schema().fields().stream().map(Field::name).toList() + "); fix cdc:columnName or the template");
        Object v = row.get(f);
        if ( v == null )
            return null;
        return convert(f.schema(), v, column);
    }

    static Value convert(Schema schema, Object v, String column) {
        String logical = schema.name();
        if ( logical != null ) {
            switch (logical) {
                case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> {
                    long days = v instanceof java.util.Date d ? Math.floorDiv(d.getTime(), 86_400_000L) : ((Number)v).longValue();
                    return new Value(LocalDate.ofEpochDay(days).toString(), XSDDatatype.XSDdate);
                }
                case "io.debezium.time.Time" -> {
                    return new Value(LocalTime.ofNanoOfDay(((Number)v).longValue() * 1_000_000L).format(DateTimeFormatter.ISO_LOCAL_TIME), XSDDatatype.XSDtime);
                }
                case "io.debezium.time.MicroTime" -> {
                    return new Value(LocalTime.ofNanoOfDay(((Number)v).longValue() * 1_000L).format(DateTimeFormatter.ISO_LOCAL_TIME), XSDDatatype.XSDtime);
                }
                case "io.debezium.time.NanoTime" -> {
                    return new Value(LocalTime.ofNanoOfDay(((Number)v).longValue()).format(DateTimeFormatter.ISO_LOCAL_TIME), XSDDatatype.XSDtime);
                }
                case "io.debezium.time.Timestamp" -> {
                    return dateTime(((Number)v).longValue(), 1_000_000L);
                }
                case "io.debezium.time.MicroTimestamp" -> {
                    return dateTime(((Number)v).longValue(), 1_000L);
                }
                case "io.debezium.time.NanoTimestamp" -> {
                    return dateTime(((Number)v).longValue(), 1L);
                }
                case "io.debezium.time.ZonedTimestamp" -> {
                    return new Value(v.toString(), XSDDatatype.XSDdateTime);
                }
                case "io.debezium.time.ZonedTime" -> {
                    return new Value(v.toString(), XSDDatatype.XSDtime);
                }
                case Decimal.LOGICAL_NAME -> {
                    return new Value(canonicalDecimal((BigDecimal)v), XSDDatatype.XSDdecimal);
                }
                case "io.debezium.data.VariableScaleDecimal" -> {
                    Struct s = (Struct)v;
                    BigDecimal d = new BigDecimal(new BigInteger(bytes(s.get("value"))), s.getInt32("scale"));
                    return new Value(canonicalDecimal(d), XSDDatatype.XSDdecimal);
                }
                default -> { /* by its physical type below */ }
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64 -> new Value(v.toString(), XSDDatatype.XSDinteger);
            case FLOAT32, FLOAT64 -> new Value(doubleLexical(((Number)v).doubleValue()), XSDDatatype.XSDdouble);
            case BOOLEAN -> new Value(v.toString(), XSDDatatype.XSDboolean);
            case STRING -> new Value(v.toString(), XSDDatatype.XSDstring);
            case BYTES -> new Value(Base64.getEncoder().encodeToString(bytes(v)), XSDDatatype.XSDbase64Binary);
            default -> throw new UnmappableRowException("column '" + column + "' has type " + schema.type()
                                                        + (logical == null ? "" : " (" + logical + ")")
                                                        + ", which has no RDF form; leave it out of the mapping, or cast it to text in a view or generated column");
        };
    }

    private static Value dateTime(long units, long nanosPerUnit) {
        long seconds = Math.floorDiv(units * nanosPerUnit, 1_000_000_000L);
        long nanos = Math.floorMod(units * nanosPerUnit, 1_000_000_000L);
        LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, (int)nanos, ZoneOffset.UTC);
        return new Value(t.format(DateTimeFormatter.ISO_LOCAL_DATE_TIME), XSDDatatype.XSDdateTime);
    }

    /** The canonical xsd:decimal form: no trailing zeros, at least one digit after the point ("1.5", "2.0"). */
    static String canonicalDecimal(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return s.scale() <= 0 ? s.setScale(0).toPlainString() + ".0" : s.toPlainString();
    }

    private static String doubleLexical(double d) {
        if ( Double.isNaN(d) )
            return "NaN";
        if ( Double.isInfinite(d) )
            return d > 0 ? "INF" : "-INF";
        return Double.toString(d);
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
}

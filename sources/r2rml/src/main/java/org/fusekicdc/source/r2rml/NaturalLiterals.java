package org.fusekicdc.source.r2rml;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

import org.apache.jena.datatypes.RDFDatatype;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;

/**
 * The natural RDF literal of an SQL value (R2RML 10.2), from the Java value a row holds. Row
 * values are those JDBC's {@code getObject} gives, normalised by {@link #normalise}: integer
 * types as Integer/Long/Short/Byte/BigInteger, {@code DECIMAL}/{@code NUMERIC} as BigDecimal,
 * {@code REAL}/{@code FLOAT}/{@code DOUBLE} as Float or Double, {@code BOOLEAN} as Boolean,
 * {@code DATE} as LocalDate, {@code TIME} as LocalTime, {@code TIMESTAMP} as LocalDateTime (or
 * OffsetDateTime with a time zone), binary as byte[]; anything else by its {@code toString()}.
 */
public final class NaturalLiterals {
    private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss");

    private NaturalLiterals() {}

    /** JDBC's date/time classes as java.time, so every row source holds the same kinds of value. */
    public static Object normalise(Object value) {
        return switch (value) {
            case java.sql.Timestamp ts -> ts.toLocalDateTime();
            case java.sql.Date d -> d.toLocalDate();
            case java.sql.Time t -> t.toLocalTime();
            case null, default -> value;
        };
    }

    /** The natural literal; its datatype is xsd:string (a plain literal) for character data. */
    public static Node literal(Object value) {
        return NodeFactory.createLiteralDT(lexical(value), datatype(value));
    }

    /** The natural datatype (10.2 table 2). */
    public static RDFDatatype datatype(Object value) {
        return switch (value) {
            case Integer i -> XSDDatatype.XSDinteger;
            case Long l -> XSDDatatype.XSDinteger;
            case Short s -> XSDDatatype.XSDinteger;
            case Byte b -> XSDDatatype.XSDinteger;
            case BigInteger b -> XSDDatatype.XSDinteger;
            case BigDecimal d -> XSDDatatype.XSDdecimal;
            case Float f -> XSDDatatype.XSDdouble;
            case Double d -> XSDDatatype.XSDdouble;
            case Boolean b -> XSDDatatype.XSDboolean;
            case LocalDate d -> XSDDatatype.XSDdate;
            case LocalTime t -> XSDDatatype.XSDtime;
            case OffsetTime t -> XSDDatatype.XSDtime;
            case LocalDateTime t -> XSDDatatype.XSDdateTime;
            case OffsetDateTime t -> XSDDatatype.XSDdateTime;
            case byte[] b -> XSDDatatype.XSDhexBinary;
            case null, default -> XSDDatatype.XSDstring;
        };
    }

    /** The canonical lexical form of the value for its natural datatype; also what templates insert. */
    public static String lexical(Object value) {
        return switch (value) {
            case BigDecimal d -> canonicalDecimal(d);
            case Float f -> canonicalDouble(new BigDecimal(Float.toString(f)));
            case Double d -> d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "INF" : "-INF") : canonicalDouble(new BigDecimal(Double.toString(d)));
            case LocalDateTime t -> t.toLocalDate() + "T" + time(t.toLocalTime());
            case OffsetDateTime t -> lexical(t.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime()) + "Z";
            case LocalTime t -> time(t);
            case byte[] b -> HexFormat.of().withUpperCase().formatHex(b);
            default -> value.toString();
        };
    }

    /** hh:mm:ss, and the fraction of a second without trailing zeros when there is one. */
    private static String time(LocalTime t) {
        String hms = t.withNano(0).format(HMS);
        if ( t.getNano() == 0 )
            return hms;
        return hms + "." + String.format("%09d", t.getNano()).replaceFirst("0+$", "");
    }

    private static String canonicalDecimal(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return s.scale() <= 0 ? s.toBigIntegerExact().toString() : s.toPlainString();
    }

    /** xsd:double's canonical form: one digit before the point, at least one after, then E and the exponent. */
    private static String canonicalDouble(BigDecimal d) {
        if ( d.signum() == 0 )
            return "0.0E0";
        BigDecimal s = d.stripTrailingZeros();
        String digits = s.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - s.scale();
        String mantissa = digits.charAt(0) + "." + (digits.length() > 1 ? digits.substring(1) : "0");
        return (s.signum() < 0 ? "-" : "") + mantissa + "E" + exponent;
    }
}

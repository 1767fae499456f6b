package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Map;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.fusekicdc.source.r2rml.NaturalLiterals;
import org.junit.jupiter.api.Test;

/**
 * Debezium's encodings of column values become what JDBC's getObject gives for the column, so
 * that an R2RML mapping writes the same natural literal from a change event as from a query.
 */
class JdbcLikeValuesTest {
    static Schema logical(Schema.Type type, String name) {
        return SchemaBuilder.type(type).name(name).optional().build();
    }

    static Object decode(Schema s, Object v) {
        return JdbcLikeValues.decode(s, v, "c");
    }

    @Test
    void datesTimesAndTimestampsBecomeJavaTime() {
        assertEquals(LocalDate.of(1990, 1, 2), decode(logical(Schema.Type.INT32, "io.debezium.time.Date"), 7306));
        assertEquals(LocalTime.of(10, 11, 12, 500_000_000), decode(logical(Schema.Type.INT64, "io.debezium.time.MicroTime"), 36_672_500_000L));
        assertEquals(LocalDateTime.of(2020, 2, 3, 4, 5, 6, 789_000_000),
                     decode(logical(Schema.Type.INT64, "io.debezium.time.Timestamp"), 1_580_702_706_789L));
        assertEquals(LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000),
                     decode(logical(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), -1L), "before 1970 the fraction stays positive");
        assertEquals(LocalDateTime.ofInstant(java.time.Instant.parse("2020-02-03T02:05:06Z"), ZoneId.systemDefault()),
                     decode(logical(Schema.Type.STRING, "io.debezium.time.ZonedTimestamp"), "2020-02-03T02:05:06Z"),
                     "a timestamp with time zone is the instant in the JVM's zone, as java.sql.Timestamp gives it");
    }

    @Test
    void decimalsOfFixedAndVariableScale() {
        Schema fixed = Decimal.builder(2).optional().build();
        assertEquals(new BigDecimal("12.50"), decode(fixed, new BigDecimal("12.50")));
        Schema variable = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal")
                                       .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).optional().build();
        Struct v = new Struct(variable).put("scale", 3).put("value", new BigInteger("-12345").toByteArray());
        assertEquals(new BigDecimal("-12.345"), decode(variable, v));
    }

    @Test
    void theJdbcClassDecides() {
        assertEquals(Boolean.TRUE, JdbcLikeValues.as("java.lang.Boolean", (short)1), "MariaDB's TINYINT(1): a number in the binlog, a Boolean through JDBC");
        assertEquals(Boolean.FALSE, JdbcLikeValues.as("java.lang.Boolean", (short)0));
        assertEquals(LocalDate.of(2024, 1, 1), JdbcLikeValues.as("java.sql.Date", 2024), "YEAR: the year's first day");
        assertEquals(LocalTime.of(10, 11, 12), JdbcLikeValues.as("java.sql.Time", LocalTime.of(10, 11, 12, 500_000_000)), "java.sql.Time has no fraction");
        assertEquals(7, JdbcLikeValues.as("java.lang.Integer", (short)7));
        assertEquals(new BigInteger("9007199254740993"), JdbcLikeValues.as("java.math.BigInteger", 9007199254740993L));
        assertEquals(1.5f, JdbcLikeValues.as("java.lang.Float", 1.5d));
        assertEquals("x", JdbcLikeValues.as(null, "x"), "a column JDBC did not describe keeps its decoded value");
    }

    @Test
    void aRowKeepsNullsAndLeavesOutArrays() {
        Schema s = SchemaBuilder.struct().field("id", Schema.INT16_SCHEMA).field("data", Schema.OPTIONAL_BYTES_SCHEMA)
                                .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
                                .field("note", Schema.OPTIONAL_STRING_SCHEMA).build();
        Struct row = new Struct(s).put("id", (short)3).put("data", ByteBuffer.wrap(new byte[] {(byte)0xde, (byte)0xad}))
                                  .put("tags", java.util.List.of("a"));
        Map<String, Object> values = JdbcLikeValues.row(row, Map.of("id", "java.lang.Integer", "data", "[B"));
        assertEquals(3, values.get("id"));
        assertArrayEquals(new byte[] {(byte)0xde, (byte)0xad}, (byte[])values.get("data"));
        assertEquals("DEAD", NaturalLiterals.lexical(values.get("data")));
        assertNull(values.get("note"));
        assertFalse(values.containsKey("tags"));
    }

    @Test
    void aTimeOutsideTheDayIsAnUnmappableRow() {
        assertThrows(UnmappableRowException.class, () -> decode(logical(Schema.Type.INT64, "io.debezium.time.MicroTime"), -1_000_000L));
    }
}

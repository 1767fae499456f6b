package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Row events written to a spill file come back as the connector sent them: schemas, logical types, NULLs, order. */
class RowSpillTest {
    @TempDir
    Path dir;

    static final Schema KEY = SchemaBuilder.struct().name("db.item.Key").field("id", Schema.INT32_SCHEMA).build();
    static final Schema ROW = SchemaBuilder.struct().name("db.item.Value")
                                           .field("id", Schema.INT32_SCHEMA)
                                           .field("name", Schema.OPTIONAL_STRING_SCHEMA)
                                           .field("price", Decimal.builder(2).optional().build())
                                           .field("born", SchemaBuilder.int32().name("io.debezium.time.Date").optional().build())
                                           .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
                                           .optional().build();
    static final Schema ENVELOPE = SchemaBuilder.struct().name("db.item.Envelope")
                                                .field("before", ROW).field("after", ROW).field("op", Schema.STRING_SCHEMA).build();

    static SourceRecord event(int id, String name, String op) {
        Struct row = new Struct(ROW).put("id", id).put("name", name).put("price", id % 2 == 0 ? new BigDecimal("12.30") : null)
                                    .put("born", 18000 + id).put("blob", new byte[] {1, (byte)id});
        Struct v = new Struct(ENVELOPE).put(op.equals("d") ? "before" : "after", row).put("op", op);
        return new SourceRecord(null, null, "fusekicdc_s.db.item", null, KEY, new Struct(KEY).put("id", id), ENVELOPE, v);
    }

    @Test
    void eventsComeBackInOrderWithTheirSchemasAndValuesAndTheFileIsDeletedOnClose() {
        List<SourceRecord> back = new ArrayList<>();
        Path file;
        try (RowSpill spill = new RowSpill(dir)) {
            for ( int i = 0 ; i < 1000 ; i++ )
                spill.append(event(i, i % 3 == 0 ? null : "name " + i, i % 5 == 0 ? "d" : "c"));
            spill.append(new SourceRecord(null, null, "fusekicdc_s.db.nokey", null, null, null, ENVELOPE, ((Struct)event(7, "x", "u").value())));
            assertEquals(1001, spill.rows());
            file = spill.file();
            assertTrue(Files.exists(file));
            assertTrue(spill.bytes() < 1001 * 200L, "each schema written once, not with every event: " + spill.bytes() + " bytes");
            spill.replay(back::add);
        }
        assertFalse(Files.exists(file), "deleted on close");
        assertEquals(1001, back.size());
        for ( int i = 0 ; i < 1000 ; i++ ) {
            SourceRecord want = event(i, i % 3 == 0 ? null : "name " + i, i % 5 == 0 ? "d" : "c");
            SourceRecord got = back.get(i);
            assertEquals(want.topic(), got.topic());
            assertEquals(want.key(), got.key(), "key of event " + i);
            Struct w = (Struct)want.value(), g = (Struct)got.value();
            assertEquals(w.getString("op"), g.getString("op"));
            Struct wr = w.getStruct(w.getString("op").equals("d") ? "before" : "after");
            Struct gr = g.getStruct(w.getString("op").equals("d") ? "before" : "after");
            assertEquals(wr.get("name"), gr.get("name"));
            assertEquals(wr.get("price"), gr.get("price"), "decimal of event " + i);
            assertEquals(wr.get("born"), gr.get("born"));
            assertEquals("io.debezium.time.Date", gr.schema().field("born").schema().name(), "the logical type's name survives");
            assertEquals(List.of(1, i & 0xff), List.of((int)((byte[])gr.get("blob"))[0], ((byte[])gr.get("blob"))[1] & 0xff));
        }
        assertNull(back.get(1000).key(), "an event without key");
        assertEquals("fusekicdc_s.db.nokey", back.get(1000).topic());
    }

    @Test
    void leftoversOfAStoppedProcessAreRemoved() throws Exception {
        RowSpill left = new RowSpill(dir);
        left.append(event(1, "a", "c"));
        Path file = left.file();
        Files.writeString(dir.resolve("other.txt"), "kept");
        RowSpill.removeLeftovers(dir);
        assertFalse(Files.exists(file));
        assertTrue(Files.exists(dir.resolve("other.txt")), "only spill files");
    }
}

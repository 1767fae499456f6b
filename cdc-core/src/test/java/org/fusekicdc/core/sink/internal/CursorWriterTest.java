package org.fusekicdc.core.sink.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CursorWriterTest {
    @TempDir
    Path tmp;

    private ChangeLog open() {
        return ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
    }

    @Test
    void aWriteHandedOverIsOnDiskOnceTheWriterCloses() {
        try (ChangeLog log = open()) {
            CursorWriter w = new CursorWriter(log.reader("sink.s"), "test");
            w.writeLater(7);
            assertEquals(7, w.requested(), "asked for, if not yet written");
            w.close();
        }
        try (ChangeLog log = open()) {
            assertEquals(7, log.reader("sink.s").acknowledged());
        }
    }

    @Test
    void aRewindIsNeverOvertakenByAWriteHandedOverBeforeIt() {
        try (ChangeLog log = open()) {
            CursorWriter w = new CursorWriter(log.reader("sink.s"), "test");
            for ( int i = 1 ; i <= 200 ; i++ ) {
                w.writeLater(10_000 + i);
                w.rewind(i);
                assertEquals(i, w.requested());
            }
            w.close();
            assertEquals(200, log.reader("sink.s").acknowledged());
        }
        try (ChangeLog log = open()) {
            assertEquals(200, log.reader("sink.s").acknowledged(), "the last rewind is what is on disk");
        }
    }

    @Test
    void aWriteMadeNowIsOnDiskWhenItReturns() {
        try (ChangeLog log = open()) {
            CursorWriter w = new CursorWriter(log.reader("sink.s"), "test");
            w.writeLater(5);
            w.writeNow(9);
            assertEquals(9, log.reader("sink.s").acknowledged());
            w.close();
            assertEquals(9, log.reader("sink.s").acknowledged(), "the write handed over before it does not take the cursor back");
        }
    }
}

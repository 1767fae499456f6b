package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.LogFixtures.appendPublished;
import static org.fusekicdc.core.internal.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReaderCursorTest {
    @TempDir
    Path dir;

    @Test
    void newReaderStartsAtVersionZero() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 3);
            ReaderCursor c = log.reader("sink");
            assertEquals("sink", c.name());
            assertEquals(0, c.acknowledged());
            assertEquals(List.of(c), log.readers());
        }
    }

    @Test
    void sameNameGivesTheSameCursor() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            ReaderCursor a = log.reader("sink");
            a.acknowledge(2);
            ReaderCursor b = log.reader("sink");
            assertSame(a, b);
            assertEquals(2, b.acknowledged());
            assertEquals(1, log.readers().size());
        }
    }

    @Test
    void acknowledgementSurvivesReopen() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 5);
            log.reader("kafka").acknowledge(3);
            log.reader("nats").acknowledge(5);
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(2, log.readers().size(), "readers are known before anyone asks for them");
            assertEquals(3, log.reader("kafka").acknowledged());
            assertEquals(5, log.reader("nats").acknowledged());
            // A reader resumes where it left off.
            assertEquals(List.of(4L, 5L), ChangeLogTest.versions(log.readAfter(log.reader("kafka").acknowledged(), 10)));
        }
    }

    @Test
    void acknowledgingBackwardsIsRefused() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            ReaderCursor c = log.reader("sink");
            c.acknowledge(5);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> c.acknowledge(4));
            assertTrue(ex.getMessage().contains("rewind"), ex.getMessage());
            assertEquals(5, c.acknowledged());
            c.acknowledge(5);                      // the same version again is fine
            assertEquals(5, c.acknowledged());
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(5, log.reader("sink").acknowledged());
        }
    }

    @Test
    void rewindMovesTheCursorBackAndPersists() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 5);
            ReaderCursor c = log.reader("sink");
            c.acknowledge(5);
            c.rewind(1);
            assertEquals(1, c.acknowledged());
            c.acknowledge(2);                      // acknowledging goes on from the rewound position
            assertEquals(2, c.acknowledged());
            c.rewind(0);
            assertEquals(0, c.acknowledged());
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(0, log.reader("sink").acknowledged());
        }
    }

    @Test
    void rewindToANegativeVersionIsRefused() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            ReaderCursor c = log.reader("sink");
            c.acknowledge(3);
            assertThrows(IllegalArgumentException.class, () -> c.rewind(-1));
            assertEquals(3, c.acknowledged());
        }
    }

    @Test
    void badReaderNamesAreRefused() throws IOException {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            for ( String bad : List.of("", "a/b", "../escape", "a\\b", "with space", "tab\t", "line\n", "caf\u00e9", "x".repeat(101), "a:b") ) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> log.reader(bad), "'" + bad + "'");
                assertTrue(ex.getMessage().contains("must be 1-100 characters"), ex.getMessage());
            }
            assertEquals(List.of(), log.readers());
        }
        assertFalse(Files.exists(dir.resolve("escape.cursor")));
        assertFalse(Files.exists(dir.getParent().resolve("escape.cursor")));
    }

    @Test
    void goodReaderNamesAreAccepted() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            for ( String good : List.of("a", "kafka-sink_1.v2", "X".repeat(100), "0") )
                assertEquals(good, log.reader(good).name());
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(4, log.readers().size());
        }
    }

    @Test
    void unregisteredReaderIsForgottenAcrossReopen() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            log.reader("keep").acknowledge(1);
            log.reader("drop").acknowledge(2);
            log.unregisterReader("drop");
            log.unregisterReader("never-registered");
            assertEquals(List.of("keep"), log.readers().stream().map(ReaderCursor::name).toList());
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(List.of("keep"), log.readers().stream().map(ReaderCursor::name).toList());
            assertEquals(0, log.reader("drop").acknowledged(), "registering again starts from zero");
        }
    }

    @Test
    void unreadableCursorFileStopsOpenSayingHowToReset() throws IOException {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            log.reader("sink").acknowledge(1);
        }
        Path cursor = dir.resolve("readers").resolve("sink.cursor");
        assertTrue(Files.isRegularFile(cursor));
        Files.writeString(cursor, "not a number");
        ChangeLogException ex = assertThrows(ChangeLogException.class, () -> ChangeLog.open(config(dir)));
        assertTrue(ex.getMessage().contains("sink.cursor"), ex.getMessage());
        assertTrue(ex.getMessage().contains("Delete it"), ex.getMessage());
        Files.delete(cursor);
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(List.of(), log.readers());
        }
    }
}

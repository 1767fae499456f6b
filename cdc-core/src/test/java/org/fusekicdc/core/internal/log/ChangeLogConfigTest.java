package org.fusekicdc.core.internal.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class ChangeLogConfigTest {
    private static final Path DIR = Path.of("target/some-log");

    @Test
    void defaultsAreDurable64MiBSegmentsKeepingEverything() {
        ChangeLogConfig c = ChangeLogConfig.defaults(DIR, "ds");
        assertEquals(DIR, c.directory());
        assertEquals("ds", c.dataset());
        assertTrue(c.fsync());
        assertEquals(64L * 1024 * 1024, c.segmentBytes());
        assertEquals(Retention.KEEP_ALL, c.retention());
    }

    @Test
    void withMethodsChangeOnlyTheirSetting() {
        ChangeLogConfig c = ChangeLogConfig.defaults(DIR, "ds");
        Retention r = new Retention(10, Duration.ofHours(1), 0, false);
        ChangeLogConfig d = c.withFsync(false).withSegmentBytes(4096).withRetention(r).withDirectory(Path.of("elsewhere"));
        assertFalse(d.fsync());
        assertEquals(4096, d.segmentBytes());
        assertEquals(r, d.retention());
        assertEquals(Path.of("elsewhere"), d.directory());
        assertEquals("ds", d.dataset());
        assertTrue(c.fsync(), "the original is unchanged");
    }

    @Test
    void segmentsSmallerThan1024BytesAreRefused() {
        ChangeLogConfig c = ChangeLogConfig.defaults(DIR, "ds");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> c.withSegmentBytes(1023));
        assertTrue(ex.getMessage().contains("1023"), ex.getMessage());
        assertEquals(1024, c.withSegmentBytes(1024).segmentBytes());
    }

    @Test
    void missingDatasetOrDirectoryOrRetentionIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ChangeLogConfig.defaults(DIR, null));
        assertThrows(IllegalArgumentException.class, () -> ChangeLogConfig.defaults(DIR, ""));
        assertThrows(IllegalArgumentException.class, () -> ChangeLogConfig.defaults(DIR, "  "));
        assertThrows(NullPointerException.class, () -> ChangeLogConfig.defaults(null, "ds"));
        assertThrows(NullPointerException.class, () -> ChangeLogConfig.defaults(DIR, "ds").withRetention(null));
    }
}

package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.OptionValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cdc:format "entity" and its options: read from a file or inline, and each mistake named with its fix. */
class EntityFormatOptionsTest {
    @TempDir
    Path dir;

    @Test
    void contextFromAFileOrInline() throws Exception {
        Path ctx = dir.resolve("context.jsonld");
        Files.writeString(ctx, "{\"@context\": {\"ex\": \"http://example/\"}}");
        MessageFormat f = FormatOptions.format(new OptionValues("s", Map.of("format", "entity", "entityContext", ctx.toString())));
        assertEquals("application/ld+json", f.contentType());
        assertEquals("entity", f.name());
        FormatOptions.format(new OptionValues("s", Map.of("format", "entity", "entityContext", "{\"ex\": \"http://example/\"}", "entityDepth", "closure")));
    }

    @Test
    void mistakesAreNamed() {
        CdcConfigException missing = assertThrows(CdcConfigException.class,
            () -> FormatOptions.format(new OptionValues("s", Map.of("format", "entity", "entityContext", dir.resolve("none.jsonld").toString()))));
        assertTrue(missing.getMessage().contains("entityContext"), missing.getMessage());
        CdcConfigException bad = assertThrows(CdcConfigException.class,
            () -> FormatOptions.format(new OptionValues("s", Map.of("format", "entity", "entityFrame", "{not json"))));
        assertTrue(bad.getMessage().contains("entityFrame"), bad.getMessage());
        CdcConfigException stray = assertThrows(CdcConfigException.class,
            () -> FormatOptions.format(new OptionValues("s", Map.of("format", "json", "entityDepth", "closure"))));
        assertTrue(stray.getMessage().contains("cdc:format \"entity\""), stray.getMessage());
        CdcConfigException onePerPatch = assertThrows(CdcConfigException.class,
            () -> FormatOptions.patchFormat(new OptionValues("s", Map.of("format", "entity"))));
        assertTrue(onePerPatch.getMessage().contains("Kafka or NATS"), onePerPatch.getMessage());
    }
}

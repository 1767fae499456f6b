package org.fusekicdc.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.fusekicdc.core.config.internal.OptionTable;
import org.junit.jupiter.api.Test;

/** Option declarations give the docs their rows and the parsers their defaults and checks. */
class OptionTableTest {
    private static final Option<Long> LIMIT = Option.integer("limit", "integer", 8, "Most at once.")
                                                    .range(1, 64, v -> v + " would use too many threads; use at most 64");
    private static final Option<String> FORMAT = Option.oneOf("format", "text | binary", "text", List.of("text", "binary"), "Body format.");
    private static final Option<String> DIRECTORY = Option.withoutDefault("directory", "string (path)", "none: pause", "Where it goes.");

    @Test
    void aRowShowsTheTypedDefaultOrItsDescriptionAndEscapesBars() {
        assertEquals(List.of("| Property | Type | Default | Meaning |", "|---|---|---|---|",
                             "| `cdc:limit` | integer | 8 | Most at once. |",
                             "| `cdc:format` | text \\| binary | text | Body format. |",
                             "| `cdc:directory` | string (path) | none: pause | Where it goes. |"),
                     OptionTable.render(List.of(LIMIT, FORMAT, DIRECTORY)));
    }

    @Test
    void validatorsNameTheBoundAndTheFix() {
        assertNull(LIMIT.problem(8L));
        assertEquals("must be at least 1, got 0", LIMIT.problem(0L));
        assertEquals("65 would use too many threads; use at most 64", LIMIT.problem(65L));
        assertEquals("must be one of text, binary, got 'json'", FORMAT.problem("json"));
    }

    @Test
    void regeneratingReplacesOnlyTheMarkedTable() {
        List<String> doc = List.of("# Title", "<!-- options:a -->", "| Property | Type | Default | Meaning |", "|---|---|---|---|",
                                   "| `cdc:old` | string | none | Gone. |", "", "Prose stays.");
        List<String> out = OptionTable.regenerate(doc, "a", List.of(LIMIT));
        assertEquals(List.of("# Title", "<!-- options:a -->", "| Property | Type | Default | Meaning |", "|---|---|---|---|",
                             "| `cdc:limit` | integer | 8 | Most at once. |", "", "Prose stays."), out);
        assertThrows(IllegalArgumentException.class, () -> OptionTable.regenerate(doc, "b", List.of(LIMIT)));
    }

    @Test
    void theFirstDifferenceNamesTheLineAndBothVersions() {
        Optional<String> diff = OptionTable.firstDifference(List.of("a", "b", "c"), List.of("a", "B", "c"));
        assertTrue(diff.orElseThrow().startsWith("line 2 is\n  b\n"), diff.get());
        assertTrue(diff.get().endsWith("\n  B"), diff.get());
        assertTrue(OptionTable.firstDifference(List.of("a"), List.of("a", "b")).orElseThrow().startsWith("line 2 is missing"));
        assertEquals(Optional.empty(), OptionTable.firstDifference(List.of("a"), List.of("a")));
    }
}

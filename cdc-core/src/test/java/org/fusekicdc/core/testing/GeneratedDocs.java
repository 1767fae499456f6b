package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.internal.OptionTable;

/**
 * Checks that a document's option tables are what the option declarations generate; run with
 * {@code -D}{@value #REGENERATE}{@code =true}, it rewrites the document instead.
 */
public final class GeneratedDocs {
    /** The system property that makes {@link #check} write the generated document. */
    public static final String REGENERATE = "cdc.regenerateDocs";

    private GeneratedDocs() {}

    /**
     * The document {@code relative} (to the repository root) has, after each marker named in
     * {@code tables}, exactly the table its options generate.
     *
     * @param command the test command that regenerates the document, for the failure message
     */
    public static void check(String relative, Map<String, List<? extends Option<?>>> tables, String command) throws IOException {
        Path file = SinkDocChecks.repositoryFile(relative);
        List<String> committed = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> generated = committed;
        for ( Map.Entry<String, List<? extends Option<?>>> t : tables.entrySet() )
            generated = OptionTable.regenerate(generated, t.getKey(), t.getValue());
        if ( Boolean.getBoolean(REGENERATE) ) {
            Files.write(file, generated, StandardCharsets.UTF_8);
            return;
        }
        List<String> expected = generated;
        OptionTable.firstDifference(committed, expected).ifPresent(diff -> fail(
            relative + " is generated from the option declarations and differs from them: " + diff
            + "\nRegenerate it with: " + command + " -D" + REGENERATE + "=true"));
    }
}

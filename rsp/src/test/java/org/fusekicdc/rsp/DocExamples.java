package org.fusekicdc.rsp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The example queries of docs/stream-processing.md, as written there: the fenced code block that
 * follows a line {@code <!-- example: name -->}. Tests run these, so the page and the tests
 * cannot drift apart.
 */
final class DocExamples {
    static final String PAGE = "docs/stream-processing.md";

    private DocExamples() {}

    /** The query of example {@code name}. */
    static String query(String name) {
        List<String> lines = lines();
        String marker = "<!-- example: " + name + " -->";
        int at = lines.indexOf(marker);
        if ( at < 0 )
            throw new AssertionError(PAGE + " has no line " + marker);
        if ( at + 1 >= lines.size() || !lines.get(at + 1).startsWith("```") )
            throw new AssertionError(PAGE + ": " + marker + " must be followed by a fenced code block");
        StringBuilder query = new StringBuilder();
        for ( int i = at + 2; i < lines.size(); i++ ) {
            if ( lines.get(i).startsWith("```") )
                return query.toString();
            query.append(lines.get(i)).append('\n');
        }
        throw new AssertionError(PAGE + ": the code block after " + marker + " is not closed");
    }

    private static List<String> lines() {
        try {
            return Files.readAllLines(page(), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The page, found from the module's directory up to the repository root. */
    private static Path page() {
        for ( Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent() ) {
            Path p = dir.resolve(PAGE);
            if ( Files.isRegularFile(p) )
                return p;
        }
        throw new AssertionError("no " + PAGE + " above " + Path.of("").toAbsolutePath());
    }
}

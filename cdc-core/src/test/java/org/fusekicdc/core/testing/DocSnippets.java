package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Code shown in the docs is code the tests compile and run: a page's {@code <!-- snippet:NAME -->}
 * marker is followed by a Java code block that must equal the lines between
 * {@code // snippet:NAME} and {@code // end-snippet} in a test source file (less their common
 * indentation).
 */
public final class DocSnippets {
    private DocSnippets() {}

    /**
     * @param doc    the page, relative to the repository root, e.g. {@code docs/sinks.md}
     * @param source the test source file holding the snippet, relative to the working directory
     */
    public static void check(String doc, Path source, String name) throws IOException {
        List<String> code = between(Files.readAllLines(source, StandardCharsets.UTF_8), "// snippet:" + name, "// end-snippet", source + "");
        int indent = code.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> expected = code.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();

        List<String> lines = Files.readAllLines(SinkDocChecks.repositoryFile(doc), StandardCharsets.UTF_8);
        int at = lines.indexOf("<!-- snippet:" + name + " -->");
        assertTrue(at >= 0, doc + " has a <!-- snippet:" + name + " --> marker");
        assertEquals("```java", lines.get(at + 1), doc + ": a Java code block follows the marker of snippet '" + name + "'");
        List<String> shown = new ArrayList<>();
        for ( String l : lines.subList(at + 2, lines.size()) ) {
            if ( l.equals("```") )
                break;
            shown.add(l);
        }
        assertEquals(String.join("\n", expected), String.join("\n", shown),
                     doc + " snippet '" + name + "' must be the code between the markers in " + source.getFileName());
    }

    private static List<String> between(List<String> source, String start, String end, String where) {
        int from = -1;
        for ( int i = 0 ; i < source.size() && from < 0 ; i++ ) {
            if ( source.get(i).trim().equals(start) )
                from = i;
        }
        assertTrue(from >= 0, where + " has a " + start + " marker");
        List<String> code = new ArrayList<>();
        for ( String l : source.subList(from + 1, source.size()) ) {
            if ( l.trim().equals(end) )
                break;
            code.add(l);
        }
        return code;
    }
}

package org.fusekicdc.source.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.source.SourceProvider.SourceOption;
import org.junit.jupiter.api.Test;

/** docs/sources.md lists exactly the PostgreSQL source's options, with the code's types, defaults and meanings. */
class SourcesDocTest {
    static Path repositoryFile(String name) {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isRegularFile(p.resolve(name)) )
            p = p.getParent();
        assertTrue(p != null, name + " not found above " + Path.of("").toAbsolutePath());
        return p.resolve(name);
    }

    @Test
    void everyOptionIsDocumentedAndNothingElseIs() throws IOException {
        List<String> lines = Files.readAllLines(repositoryFile("docs/sources.md"), StandardCharsets.UTF_8);
        int at = lines.indexOf("<!-- postgres-source-options -->");
        assertTrue(at >= 0, "docs/sources.md has the <!-- postgres-source-options --> table");
        Map<String, String[]> rows = new LinkedHashMap<>();
        for ( String line : lines.subList(at + 1, lines.size()) ) {
            if ( !line.startsWith("|") )
                break;
            if ( !line.startsWith("| `cdc:") )
                continue;
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            rows.put(cells[0].trim().replace("`", "").substring(4), cells);
        }
        for ( SourceOption o : PostgresSourceProvider.OPTIONS ) {
            String[] cells = rows.remove(o.name());
            assertTrue(cells != null, () -> "cdc:" + o.name() + " is missing from docs/sources.md");
            assertEquals(o.type(), cells[1].trim(), "cdc:" + o.name() + " type");
            assertEquals(o.defaultValue(), cells[2].trim(), "cdc:" + o.name() + " default");
            assertEquals(o.doc(), cells[3].trim(), "cdc:" + o.name() + " meaning");
        }
        assertTrue(rows.isEmpty(), () -> "docs/sources.md lists options the code does not know: " + rows.keySet());
    }
}

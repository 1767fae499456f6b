package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.fuseki.CdcFuseki;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the options the code knows, with the code's types and defaults. */
class ConfigurationDocTest {
    @Test
    void everyDatasetOptionIsDocumentedWithItsDefaultAndNothingElseIs() throws IOException {
        List<String> lines = Files.readAllLines(CdcFuseki.CONFIG_EXAMPLES.getParent().resolve("docs/configuration.md"), StandardCharsets.UTF_8);
        int sinkTable = lines.indexOf("<!-- sink-common -->");
        assertTrue(sinkTable > 0, "docs/configuration.md has the sink options table");
        checkTable(lines.subList(0, sinkTable), CdcOption.ALL);
        int followTable = lines.indexOf("<!-- follow-common -->");
        assertTrue(followTable > sinkTable, "docs/configuration.md has the follower options table after the sink options");
        checkTable(lines.subList(sinkTable, followTable), CdcOption.SINK_COMMON);
        checkTable(lines.subList(followTable, lines.size()), CdcOption.FOLLOW_COMMON);
    }

    /** The first table of rows starting with | `cdc: in {@code lines} matches {@code options} exactly. */
    private static void checkTable(List<String> lines, List<CdcOption> options) {
        Map<String, String[]> rows = new LinkedHashMap<>();
        boolean inTable = false;
        for ( String line : lines ) {
            if ( inTable && !line.startsWith("|") )
                break;
            if ( line.startsWith("| `cdc:") )
                inTable = true;
            if ( !line.startsWith("| `cdc:") )
                continue;
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            rows.put(cells[0].trim().replace("`", ""), cells);
        }
        for ( CdcOption o : options ) {
            String[] cells = rows.remove(o.prefixedName());
            assertTrue(cells != null, () -> o.prefixedName() + " is missing from docs/configuration.md");
            assertEquals(o.type(), cells[1].trim(), o.prefixedName() + " type");
            assertEquals(o.defaultValue(), cells[2].trim(), o.prefixedName() + " default");
            assertEquals(o.doc(), cells[3].trim(), o.prefixedName() + " meaning");
        }
        assertTrue(rows.isEmpty(), () -> "docs/configuration.md lists options the code does not know: " + rows.keySet());
    }
}

package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.fuseki.CdcFuseki;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly the options the code knows, with the code's types and defaults. */
class ConfigurationDocTest {
    @Test
    void everyOptionIsDocumentedWithItsDefaultAndNothingElseIs() throws IOException {
        Path doc = CdcFuseki.CONFIG_EXAMPLES.getParent().resolve("docs/configuration.md");
        List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
        Map<String, String[]> rows = new LinkedHashMap<>();
        for ( String line : lines ) {
            if ( !line.startsWith("| `cdc:") )
                continue;
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            rows.put(cells[0].trim().replace("`", ""), cells);
        }
        for ( CdcOption o : CdcOption.ALL ) {
            String[] cells = rows.remove(o.prefixedName());
            assertTrue(cells != null, () -> o.prefixedName() + " is missing from docs/configuration.md");
            assertEquals(o.type(), cells[1].trim(), o.prefixedName() + " type");
            assertEquals(o.defaultValue(), cells[2].trim(), o.prefixedName() + " default");
            assertEquals(o.doc(), cells[3].trim(), o.prefixedName() + " meaning");
        }
        assertTrue(rows.isEmpty(), () -> "docs/configuration.md lists options the code does not know: " + rows.keySet());
    }
}

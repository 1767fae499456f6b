package org.fusekicdc.fuseki.config;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.testing.GeneratedDocs;
import org.junit.jupiter.api.Test;

/**
 * The option tables of docs/configuration.md are the ones {@link CdcOption}'s declarations
 * generate: the options the code knows, with the defaults and bounds the parser uses.
 */
class ConfigurationDocTest {
    static final String REGENERATE = "./mvnw -B -pl fuseki-module -am test -Dtest=ConfigurationDocTest -Dsurefire.failIfNoSpecifiedTests=false";

    @Test
    void optionTablesAreGeneratedFromTheDeclarations() throws IOException {
        Map<String, List<? extends Option<?>>> tables = new LinkedHashMap<>();
        tables.put("dataset", CdcOption.ALL);
        tables.put("sink-common", CdcOption.SINK_COMMON);
        tables.put("follow-common", CdcOption.FOLLOW_COMMON);
        tables.put("continuous-query", ContinuousQuerySettings.OPTIONS);
        GeneratedDocs.check("docs/configuration.md", tables, REGENERATE);
    }
}

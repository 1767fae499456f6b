package org.fusekicdc.source.postgres;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
import org.junit.jupiter.api.Test;

/** docs/sources.md's PostgreSQL source option table is generated from the source's option declarations. */
class SourcesDocTest {
    @Test
    void theOptionTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sources.md", Map.of("postgres", PostgresSourceConfig.OPTIONS),
                            "./mvnw -B -pl sources/postgres -am test -Dtest=SourcesDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }
}

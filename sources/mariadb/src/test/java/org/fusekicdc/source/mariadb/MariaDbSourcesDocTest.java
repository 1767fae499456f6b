package org.fusekicdc.source.mariadb;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
import org.junit.jupiter.api.Test;

/** docs/sources.md's MariaDB source option table is generated from the source's option declarations. */
class MariaDbSourcesDocTest {
    @Test
    void theOptionTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sources.md", Map.of("mariadb", MariaDbSourceConfig.OPTIONS),
                            "./mvnw -B -pl sources/mariadb -am test -Dtest=MariaDbSourcesDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }
}

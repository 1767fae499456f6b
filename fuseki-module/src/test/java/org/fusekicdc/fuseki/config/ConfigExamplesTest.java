package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.apache.jena.fuseki.main.FusekiMain;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.main.runner.FusekiRunner;
import org.fusekicdc.fuseki.CdcFuseki;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file in config-examples/ builds a server exactly as `--config file` would, so the examples cannot rot. */
class ConfigExamplesTest {
    @TempDir
    Path work;

    static List<String> examples() throws IOException {
        try (Stream<Path> files = Files.list(CdcFuseki.CONFIG_EXAMPLES)) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ttl")).sorted().toList();
            assertFalse(names.isEmpty(), "config-examples/ holds no .ttl file");
            return names;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void exampleBuildsAServer(String example) throws IOException {
        Path config = work.resolve(example);
        // Files an example names relative to itself (R2RML mappings) sit beside it.
        Path mappings = CdcFuseki.CONFIG_EXAMPLES.resolve("mappings");
        if ( Files.isDirectory(mappings) && !Files.isDirectory(work.resolve("mappings")) ) {
            Files.createDirectories(work.resolve("mappings"));
            try (Stream<Path> files = Files.list(mappings)) {
                for ( Path f : files.toList() )
                    Files.copy(f, work.resolve("mappings").resolve(f.getFileName()));
            }
        }
        // Secrets come from the environment; here, as if the admin had set them.
        String ttl = CdcFuseki.exampleConfig(example, work.resolve("run")).replaceAll("\\$\\{env:[A-Za-z_][A-Za-z0-9_]*}", "set-by-admin");
        // The password file an admin creates for the examples with authentication.
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\n");
        Files.writeString(config, ttl.replace("\"" + work.resolve("run") + "/passwd\"", "\"" + passwd + "\""));
        // Built, not started: sinks would connect to their brokers on start.
        FusekiServer server = FusekiMain.builder(FusekiRunner.fmodsServerPlain(), "--port=0", "--config=" + config).build();
        CdcFuseki.closeDatasets(server.getDataAccessPointRegistry().accessPoints());
    }
}

package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.fuseki.main.FusekiMain;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.main.runner.FusekiRunner;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * What can be checked of docker/ without a Docker engine: the compose file parses and its
 * services, build context, dependencies and volumes fit together; every file the Dockerfile
 * copies exists after the build; the container's config.ttl builds a server with the module.
 */
class DockerFilesIT {
    private static final Path ROOT = root();
    private static final Path DOCKER = ROOT.resolve("docker");

    private static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isDirectory(p.resolve("docker")) )
            p = p.getParent();
        return p;
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeFileWiresItsServicesBuildContextAndVolumes() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));
        Map<String, Object> services = (Map<String, Object>)compose.get("services");
        assertEquals(List.of("fuseki", "fuseki-replica", "nats", "kafka"), List.copyOf(services.keySet()));
        Map<String, Object> fuseki = (Map<String, Object>)services.get("fuseki");
        Map<String, Object> build = (Map<String, Object>)fuseki.get("build");
        Path context = DOCKER.resolve((String)build.get("context")).normalize();
        assertEquals(ROOT.normalize(), context, "the build context is the repository root");
        assertTrue(Files.isRegularFile(context.resolve((String)build.get("dockerfile"))), "the Dockerfile is where compose looks");
        for ( Object dep : (List<Object>)fuseki.get("depends_on") )
            assertTrue(services.containsKey(dep), "depends_on names a service: " + dep);
        Map<String, Object> volumes = (Map<String, Object>)compose.get("volumes");
        for ( Object s : services.values() ) {
            List<Object> mounts = (List<Object>)((Map<String, Object>)s).getOrDefault("volumes", List.of());
            for ( Object m : mounts ) {
                String name = m.toString().split(":")[0];
                assertTrue(volumes.containsKey(name), "volume " + name + " is declared");
            }
        }
        Map<String, Object> env = (Map<String, Object>)fuseki.get("environment");
        assertNotNull(env.get("NATS_URL"), "the config's ${env:NATS_URL} is set");
        assertNotNull(env.get("KAFKA_BOOTSTRAP_SERVERS"), "the config's ${env:KAFKA_BOOTSTRAP_SERVERS} is set");
        Map<String, Object> replica = (Map<String, Object>)services.get("fuseki-replica");
        Map<String, Object> replicaEnv = (Map<String, Object>)replica.get("environment");
        String replicaConfig = (String)replicaEnv.get("FUSEKI_CONFIG");
        assertTrue(Files.isRegularFile(DOCKER.resolve(Path.of(replicaConfig).getFileName())), "the replica's configuration is in docker/: " + replicaConfig);
        assertNotNull(replicaEnv.get("LEADER_URL"), "the replica's ${env:LEADER_URL} is set");
        assertEquals(build, replica.get("build"), "the replica runs the same image");
    }

    @Test
    void everyFileTheDockerfileCopiesExists() throws IOException {
        Matcher m = Pattern.compile("(?m)^COPY\\s+(\\S+)\\s+\\S+").matcher(Files.readString(DOCKER.resolve("Dockerfile")));
        int copies = 0;
        while ( m.find() ) {
            copies++;
            Path src = ROOT.resolve(m.group(1));
            String glob = src.getFileName().toString();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(src.getParent(), glob)) {
                assertTrue(ds.iterator().hasNext(), "COPY source " + m.group(1) + " exists");
            }
        }
        assertEquals(2, copies);
    }

    @ParameterizedTest
    @ValueSource(strings = {"config.ttl", "replica.ttl"})
    void theContainerConfigurationsBuildAServer(String file, @TempDir Path work) throws IOException {
        // Built, not started: nothing connects to the brokers or the leader.
        String ttl = Files.readString(DOCKER.resolve(file), StandardCharsets.UTF_8)
                          .replace("${env:NATS_URL}", "nats://127.0.0.1:4222")
                          .replace("${env:KAFKA_BOOTSTRAP_SERVERS}", "127.0.0.1:9092")
                          .replace("${env:LEADER_URL}", "http://127.0.0.1:3030")
                          .replace("\"run/", "\"" + work.resolve("run") + "/");
        Path config = work.resolve("config.ttl");
        Files.writeString(config, ttl);
        FusekiServer server = FusekiMain.builder(FusekiRunner.fmodsServerPlain(), "--port=0", "--config=" + config).build();
        server.getDataAccessPointRegistry().accessPoints().forEach(dap -> {
            DatasetRuntime r = DatasetRuntimes.find(dap.getDataService().getDataset());
            if ( r != null ) {
                r.log().close();
                TDBInternal.expel(r.dataset().getWrapped());
            }
        });
    }
}

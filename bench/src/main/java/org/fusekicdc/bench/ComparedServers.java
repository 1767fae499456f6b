package org.fusekicdc.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The four servers {@link FusekiKafkaComparisonBench} compares, each a child JVM with one TDB2
 * dataset served as {@code /ds}: fuseki-cdc's follower and plain Fuseki on this build's Fuseki
 * (6.2.0, {@link BenchServer}: what {@code ./fuseki-cdc} runs), jena-fuseki-kafka's connector and
 * plain Fuseki on the Fuseki that connector is built for (5.3.0, started by the source file
 * {@code bench/jena-fuseki-kafka/FusekiKafkaMain.java} on the classpath Maven resolves for it into
 * {@code bench/target/jena-fuseki-kafka-classpath.txt}).
 * The plain servers take RDF Patch by POST to {@code /ds} (a {@code fuseki:patch} endpoint): the
 * path jena-fuseki-kafka dispatches each message to inside its server.
 */
final class ComparedServers {
    private static final String PREFIXES = """
        PREFIX :       <#>
        PREFIX fuseki: <http://jena.apache.org/fuseki#>
        PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
        PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
        PREFIX fk:     <http://jena.apache.org/fuseki/kafka#>

        [] rdf:type fuseki:Server .

        """;

    private final String bootstrapServers;
    private final List<String> jvmArgs;
    private final String fkJava;
    private final List<String> fkJvmArgs;
    private final String fkClasspath;
    private final String fkLauncher;

    /**
     * @param jvmArgs     JVM options of every server on this JVM's java
     * @param fkJava      the java that runs Fuseki 5.3.0
     * @param fkJvmArgs   its JVM options
     * @param fkClasspath jena-fuseki-kafka's and Fuseki 5.3.0's classpath
     * @param fkLauncher  the source file that starts Fuseki 5.3.0 (bench/jena-fuseki-kafka/FusekiKafkaMain.java)
     */
    ComparedServers(String bootstrapServers, List<String> jvmArgs, String fkJava, List<String> fkJvmArgs, String fkClasspath, Path fkLauncher) {
        this.bootstrapServers = bootstrapServers;
        this.jvmArgs = jvmArgs;
        this.fkJava = fkJava;
        this.fkJvmArgs = fkJvmArgs;
        this.fkClasspath = fkClasspath;
        this.fkLauncher = fkLauncher.toAbsolutePath().toString();
    }

    /** fuseki-cdc's follower of {@code topic}: cdc:CapturedDataset with cdc:follow, default options. */
    ChildServer cdcFollower(String label, Path dir, String topic) throws IOException {
        String config = PREFIXES + service("fuseki:endpoint [ fuseki:operation fuseki:query ] ;") + """
            :dataset rdf:type cdc:CapturedDataset ;
                cdc:dataset :tdb ;
                cdc:logDirectory "%s" ;
                cdc:follow [ rdf:type cdc:KafkaTopic ; cdc:bootstrapServers "%s" ; cdc:topic "%s" ] .
            """.formatted(dir.resolve("changes").toAbsolutePath(), bootstrapServers, topic) + tdb(dir);
        return launch62(label, dir, config);
    }

    /** Plain Fuseki 6.2.0 taking patches over HTTP. */
    ChildServer plain62(String label, Path dir) throws IOException {
        return launch62(label, dir, PREFIXES + plainService() + tdbAs(":dataset", dir));
    }

    /**
     * jena-fuseki-kafka's connector from {@code topic} to {@code /ds}, as its README sets it up:
     * query, patch endpoints on the dataset; the connector syncs from the topic's start.
     */
    ChildServer fusekiKafka(String label, Path dir, String topic) throws IOException {
        String config = PREFIXES + plainService() + tdbAs(":dataset", dir) + """

            <#connector> rdf:type fk:Connector ;
                fk:bootstrapServers "%s" ;
                fk:topic "%s" ;
                fk:fusekiServiceName "/ds" ;
                fk:syncTopic true ;
                fk:stateFile "%s" .
            """.formatted(bootstrapServers, topic, dir.resolve("connector.state").toAbsolutePath());
        return launch53(label, dir, config, true);
    }

    /** Plain Fuseki 5.3.0 taking patches over HTTP (the same launcher, without the connector's module). */
    ChildServer plain53(String label, Path dir) throws IOException {
        return launch53(label, dir, PREFIXES + plainService() + tdbAs(":dataset", dir), false);
    }

    private static String plainService() {
        return service("fuseki:endpoint [ fuseki:operation fuseki:query ] ;\n    fuseki:endpoint [ fuseki:operation fuseki:patch ] ;");
    }

    private static String service(String endpoints) {
        return """
            :service rdf:type fuseki:Service ;
                fuseki:name "ds" ;
                %s
                fuseki:dataset :dataset .

            """.formatted(endpoints);
    }

    private static String tdb(Path dir) {
        return tdbAs(":tdb", dir);
    }

    private static String tdbAs(String name, Path dir) {
        return name + " rdf:type tdb2:DatasetTDB2 ; tdb2:location \"" + dir.resolve("db").toAbsolutePath() + "\" .\n";
    }

    private ChildServer launch62(String label, Path dir, String config) throws IOException {
        int port = ChildServer.freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", ChildServer.absoluteClasspath(), BenchServer.class.getName(), "--port=" + port, "--config=" + write(dir, config)));
        return ChildServer.launch(null, label, dir, port, cmd);
    }

    private ChildServer launch53(String label, Path dir, String config, boolean connector) throws IOException {
        int port = ChildServer.freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(fkJava);
        cmd.addAll(fkJvmArgs);
        cmd.addAll(List.of("-cp", fkClasspath, fkLauncher, Integer.toString(port), write(dir, config).toString(), connector ? "connector" : "plain"));
        return ChildServer.launch(null, label, dir, port, cmd);
    }

    private static Path write(Path dir, String config) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("config.ttl").toAbsolutePath();
        Files.writeString(file, config, StandardCharsets.UTF_8);
        return file;
    }
}

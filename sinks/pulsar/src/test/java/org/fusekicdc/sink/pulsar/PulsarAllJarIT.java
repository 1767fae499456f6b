package org.fusekicdc.sink.pulsar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink as shipped: {@code fuseki-cdc-sink-pulsar-<version>-all.jar} beside cdc-core and
 * Jena (what a Fuseki server with the module jar has), nothing of the Pulsar client besides,
 * delivers to a real broker.
 */
class PulsarAllJarIT {
    private static PulsarTesting.PrivateBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void useSharedBroker() throws Exception {
        broker = PulsarTesting.sharedBroker();
    }

    @Test
    void theAllJarDeliversWithOnlyCdcCoreAndJenaBesideIt() throws Exception {
        Path allJar = Path.of(System.getProperty("fusekicdc.pulsarAllJar"));
        Path provided = Path.of(System.getProperty("fusekicdc.providedClasspath"));
        assertTrue(Files.exists(allJar) && Files.exists(provided), "not built: " + allJar + ", " + provided);
        List<String> cp = new ArrayList<>();
        cp.add(allJar.toString());
        // cdc-core (classes or jar, not its test jar), SLF4J's API, which the server has, and this module's test classes
        // (for AllJarSmoke), from this JVM's classpath.
        for ( String e : System.getProperty("java.class.path").split(File.pathSeparator) ) {
            if ( e.matches(".*/cdc-core/target/classes/?") || e.matches(".*/cdc-core-[^/]*(?<!-tests)\\.jar") || e.matches(".*/sinks/pulsar/target/test-classes/?")
                 || e.matches(".*/slf4j-api-[^/]*\\.jar")
                 // Libraries Jena needs that the client needs too (so Maven lists them as compile, not
                 // provided); Fuseki ships them. The -all jar uses its own relocated copies.
                 || e.matches(".*/(org/apache/commons|commons-io|commons-codec|commons-cli|com/github/ben-manes)/.*\\.jar") )
                cp.add(e);
        }
        cp.addAll(Arrays.asList(Files.readString(provided).trim().split(File.pathSeparator)));
        String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-alljar-");
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                                       "-cp", String.join(File.pathSeparator, cp), AllJarSmoke.class.getName(),
                                       dir.resolve("work").toString(), broker.serviceUrl(), topic, "5")
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if ( !p.waitFor(150, TimeUnit.SECONDS) ) {
            p.destroyForcibly();
            fail("child did not finish within 150 s:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("DELIVERED 5"), out);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), PulsarTesting.readTopic(broker.serviceUrl(), topic).stream().map(PulsarTesting.Stored::version).toList());
    }
}

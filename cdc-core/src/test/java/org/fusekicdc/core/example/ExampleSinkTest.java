package org.fusekicdc.core.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.DocSnippets;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.TestCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The example sink of docs/extending.md: found through ServiceLoader by its configuration type,
 * as the server finds a sink's jar, and fed from a real change log by the runner the server uses.
 */
class ExampleSinkTest {
    /** The example's services file is kept off the classpath root, so that no other test's server finds the example sink. */
    private static final String SERVICES_ROOT = "example-sink/";

    @TempDir
    Path tmp;
    @RegisterExtension
    final TestCapture capture = new TestCapture();

    private static SinkProvider provider(String type) throws IOException {
        URL root = ExampleSinkTest.class.getClassLoader().getResource(SERVICES_ROOT);
        try (URLClassLoader loader = new URLClassLoader(new URL[] { root }, ExampleSinkTest.class.getClassLoader())) {
            return ServiceLoader.load(SinkProvider.class, loader).stream().map(ServiceLoader.Provider::get)
                                .filter(p -> p.type().equals(type)).findFirst()
                                .orElseThrow(() -> new AssertionError("no SinkProvider of type " + type + " registered"));
        }
    }

    private SinkRunner run(SinkProvider provider, Path dir) {
        OptionValues options = new OptionValues("files", Map.of(FileSinkProvider.DIRECTORY.name(), dir.toString()));
        SinkRunner runner = new SinkRunner(capture.log(), provider.create("ds", options, tmp.resolve("work")), SinkConfig.DEFAULTS);
        runner.start();
        return runner;
    }

    private void awaitFiles(Path dir, long n) throws InterruptedException {
        TestSupport.await("versions 1.." + n + " in " + dir, Duration.ofSeconds(20), () -> Files.exists(dir.resolve(n + ".rdfp")));
    }

    @Test
    void theRegisteredSinkWritesEachPatchOnceAcrossARestartThatLostItsCursor() throws Exception {
        SinkProvider provider = provider("ExampleFileSink");
        assertEquals(List.of(FileSinkProvider.DIRECTORY), provider.options());
        Path dir = tmp.resolve("patches");
        capture.commits(3);
        try (SinkRunner runner = run(provider, dir)) {
            awaitFiles(dir, 3);
        }
        for ( long v = 1 ; v <= 3 ; v++ ) {
            try (InputStream in = capture.log().read(v).openPayload()) {
                assertArrayEquals(in.readAllBytes(), Files.readAllBytes(dir.resolve(v + ".rdfp")), "version " + v + " as RDF Patch text");
            }
        }

        // The cursor says nothing was delivered; the directory says 1..3 are there: open() wins, none is written again.
        capture.log().reader(SinkRunner.cursorName("files")).rewind(0);
        Files.writeString(dir.resolve("1.rdfp"), "kept");
        capture.commits(2);
        try (SinkRunner runner = run(provider, dir)) {
            awaitFiles(dir, 5);
        }
        assertEquals("kept", Files.readString(dir.resolve("1.rdfp")), "version 1 was not written again");
        try (var files = Files.list(dir)) {
            assertEquals(5, files.count(), "one file per version, nothing left aside");
        }
    }

    @ParameterizedTest
    @CsvSource({ "sink, src/test/java/org/fusekicdc/core/example/FileSink.java",
                 "provider, src/test/java/org/fusekicdc/core/example/FileSinkProvider.java" })
    void theGuideShowsTheTestedCode(String snippet, String source) throws IOException {
        DocSnippets.check("docs/extending.md", Path.of(source), snippet);
    }

    @Test
    void theGuideShowsTheServicesFileOfTheExample() throws IOException {
        String services = Files.readString(Path.of("src/test/resources", SERVICES_ROOT, "META-INF/services", SinkProvider.class.getName())).trim();
        String guide = Files.readString(Path.of("..", "docs", "extending.md"));
        assertEquals(true, guide.contains("META-INF/services/" + SinkProvider.class.getName()) && guide.contains(services),
                     "docs/extending.md names the services file and its line " + services);
    }
}

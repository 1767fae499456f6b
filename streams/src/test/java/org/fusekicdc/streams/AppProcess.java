package org.fusekicdc.streams;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.fusekicdc.core.testing.TestSupport;

/** The application's shaded jar run as its users run it, {@code java -jar ...-app.jar app.properties}, in a JVM of its own. */
final class AppProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private AppProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The shaded jar the package phase built; the test fails (CI) or is skipped when it is missing. */
    static Path jar() throws IOException {
        Path target = Path.of("target");
        if ( Files.isDirectory(target) ) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "fuseki-cdc-streams-*-app.jar")) {
                for ( Path j : jars )
                    return j;
            }
        }
        TestSupport.skipOrFail("No application jar in " + target.toAbsolutePath() + ": run the integration tests with verify (the package phase builds it)");
        throw new IllegalStateException("unreachable");
    }

    static AppProcess start(Path properties, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-jar", jar().toAbsolutePath().toString(), properties.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new AppProcess(p, log);
    }

    /** kill -9: no shutdown hook, no clean close of Kafka Streams. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    int waitFor() throws InterruptedException {
        if ( !process.waitFor(60, TimeUnit.SECONDS) )
            throw new IllegalStateException("the application did not exit within 60 s; its output is in " + log);
        return process.exitValue();
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if ( process.isAlive() )
            kill();
    }
}

package org.fusekicdc.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The deployment an admin does, in its own JVM: the official jena-fuseki-server jar with the
 * jars of an {@code extra} directory on the classpath (as Fuseki's launcher puts
 * {@code $FUSEKI_BASE/extra/}), a configuration file, a fixed port. Can be started, killed
 * (SIGKILL) and started again on the same port and directories.
 */
final class FusekiJvm {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** A start takes seconds; three at once on a machine shared with other builds have taken more than 90. */
    private static final int START_SECONDS = 240;

    final String name;
    final int port;
    final String base;
    private final Path dir;
    private final Path extra;
    private final Path config;
    private final String maxHeap;
    private Process process;
    private int starts;

    /**
     * @param dir    the server's working directory (its logs go there, one file per start)
     * @param extra  the directory whose jars go on the classpath
     * @param config the configuration file
     */
    FusekiJvm(String name, Path dir, Path extra, Path config, String maxHeap) throws IOException {
        this.name = name;
        this.dir = Files.createDirectories(dir);
        this.extra = extra;
        this.config = config;
        this.maxHeap = maxHeap;
        this.port = freePort();
        this.base = "http://localhost:" + port;
    }

    /** The fuseki-cdc module jar this build made (set by the dist pom). */
    static Path moduleJar() {
        return Path.of(System.getProperty("fusekicdc.moduleJar"));
    }

    static Path serverJar() {
        return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
                     .filter(p -> p.getFileName().toString().startsWith("jena-fuseki-server-")).findFirst()
                     .orElseThrow(() -> new AssertionError("jena-fuseki-server jar not on the test classpath"));
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isDirectory(p.resolve("config-examples")) )
            p = p.getParent();
        return p;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Start the server and wait until it answers {@code /$/ping}; fails with its log if it exits first. */
    void start() throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(javaBin, "-Xmx" + maxHeap, "-cp", serverJar() + java.io.File.pathSeparator + extra.resolve("*"),
                                   "org.apache.jena.fuseki.main.cmds.FusekiServerCmd", "--port=" + port, "--config=" + config);
        starts++;
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log().toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(START_SECONDS).toNanos();
        while ( System.nanoTime() < deadline ) {
            if ( !process.isAlive() )
                throw new AssertionError(name + " exited at start-up with code " + process.exitValue() + ":\n" + Files.readString(log()));
            try {
                if ( HTTP.send(HttpRequest.newBuilder(URI.create(base + "/$/ping")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200 )
                    return;
            } catch (IOException notYet) {
                process.waitFor(200, TimeUnit.MILLISECONDS);
            }
        }
        throw new AssertionError(name + " did not start within " + START_SECONDS + " s:\n" + Files.readString(log()));
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The log of the latest start. */
    Path log() {
        return dir.resolve("fuseki-" + starts + ".log");
    }

    /** SIGKILL: no shutdown hook, no flush. Returns whether it was running. */
    boolean kill() throws InterruptedException {
        if ( !isAlive() )
            return false;
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        return true;
    }

    /** A normal stop (SIGTERM). */
    void stop() throws InterruptedException {
        if ( process != null ) {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}

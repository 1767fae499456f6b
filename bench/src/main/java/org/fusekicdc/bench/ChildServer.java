package org.fusekicdc.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One Fuseki server in a child JVM ({@link BenchServer}, or another Fuseki's command) with its
 * own fresh directory: config, database, change log, logs.
 */
final class ChildServer implements AutoCloseable {
    /** The configuration compared; null for a server started with a configuration text of its own, or {@link #launch launched} with a command of the caller's. */
    final ServerKind kind;
    final String label;
    final Path dir;
    final int port;
    private final Process process;
    private final BufferedWriter control;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

    private ChildServer(ServerKind kind, String label, Path dir, int port, Process process) {
        this.kind = kind;
        this.label = label;
        this.dir = dir;
        this.port = port;
        this.process = process;
        this.control = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    }

    /** Start a server of {@code kind} in the fresh directory {@code dir} and wait until it answers queries. */
    static ChildServer start(ServerKind kind, String label, Path dir, List<String> jvmArgs, HttpClient http) throws IOException {
        Files.createDirectories(dir);
        return start(kind, kind.config(dir), label, dir, jvmArgs, http);
    }

    /** Start a server with the Fuseki configuration {@code configText} in the fresh directory {@code dir} and wait until it answers queries. */
    static ChildServer start(String configText, String label, Path dir, List<String> jvmArgs, HttpClient http) throws IOException {
        return start(null, configText, label, dir, jvmArgs, http);
    }

    private static ChildServer start(ServerKind kind, String configText, String label, Path dir, List<String> jvmArgs, HttpClient http) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("config.ttl");
        Files.writeString(config, configText, StandardCharsets.UTF_8);
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", absoluteClasspath(), BenchServer.class.getName(),
                           "--port=" + port, "--config=" + config));
        ChildServer server = launch(kind, label, dir, port, cmd);
        try {
            server.awaitUp(http, Duration.ofSeconds(120));
        } catch (IOException | RuntimeException ex) {
            server.close();
            throw ex;
        }
        return server;
    }

    /**
     * Run {@code command}, a Fuseki server that will listen on {@code port}, in the directory
     * {@code dir} (its logs go there), without waiting for it to answer: see {@link #awaitUp}.
     *
     * @param kind the configuration, or null for a server that is none of {@link ServerKind}'s
     */
    static ChildServer launch(ServerKind kind, String label, Path dir, int port, List<String> command) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("command.txt"), String.join(" ", command) + "\n");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                                               .redirectOutput(dir.resolve("fuseki.log").toFile())
                                               .start();
        ChildServer server = new ChildServer(kind, label, dir, port, p);
        server.pumpStderr();
        return server;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** This JVM's classpath with absolute entries: the child runs in another directory. */
    static String absoluteClasspath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                               .map(e -> Path.of(e).toAbsolutePath().toString())
                               .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /** CPU time the server's process has used so far (all its threads). */
    Duration cpuTime() {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    String base() {
        return "http://localhost:" + port + "/ds";
    }

    /** Send a control command and return its answer's fields (after the command word). */
    String[] command(String cmd) throws IOException {
        control.write(cmd);
        control.newLine();
        control.flush();
        try {
            String reply = replies.poll(120, TimeUnit.SECONDS);
            if ( reply == null )
                throw new IOException(label + ": no answer to '" + cmd + "'");
            String[] parts = reply.substring("BENCH:".length()).split(" ");
            if ( !parts[0].equals(cmd) )
                throw new IOException(label + ": answer '" + reply + "' to '" + cmd + "'");
            return java.util.Arrays.copyOfRange(parts, 1, parts.length);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException(ex);
        }
    }

    private void pumpStderr() {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
                 PrintWriter err = new PrintWriter(Files.newBufferedWriter(dir.resolve("stderr.log")), true)) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("BENCH:") )
                        replies.add(line);
                    else
                        err.println(line);
                }
            } catch (IOException ex) {
                // The process ended.
            }
        }, "stderr-" + label);
        t.setDaemon(true);
        t.start();
    }

    /** Fails with the end of the server's logs once its process has ended. */
    void requireAlive() throws IOException {
        if ( !process.isAlive() )
            throw new IOException(label + ": Fuseki exited with " + process.exitValue() + "\n" + logTail());
    }

    /** Wait until the server answers a query, at most {@code within}. */
    void awaitUp(HttpClient http, Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        while ( System.nanoTime() < deadline ) {
            if ( !process.isAlive() )
                throw new IOException(label + ": Fuseki exited at start-up with " + process.exitValue() + "\n" + logTail());
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base() + "?query=ASK%7B%7D")).build(),
                                                 HttpResponse.BodyHandlers.discarding());
                if ( r.statusCode() == 200 )
                    return;
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IOException(ex);
            }
            sleep(100);
        }
        throw new IOException(label + ": Fuseki did not start within " + within.toSeconds() + " s\n" + logTail());
    }

    String logTail() {
        StringBuilder sb = new StringBuilder();
        for ( String f : List.of("fuseki.log", "stderr.log") ) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve(f));
                sb.append("--- ").append(dir.resolve(f)).append('\n')
                  .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()))).append('\n');
            } catch (IOException | UncheckedIOException ex) {
                sb.append("(no ").append(f).append(")\n");
            }
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stop the server (SIGTERM, so Fuseki closes its datasets and logs), forcibly if it does not stop in 60 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if ( !process.waitFor(60, TimeUnit.SECONDS) ) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}

package org.fusekicdc.sink.kinesis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.fusekicdc.core.testing.TestSupport;

/**
 * kinesis-local (kinesis-mock, an implementation of the Kinesis API, compiled to JavaScript), from
 * the npm registry, run with the machine's Node.js on a free port. It is installed on first use
 * into {@code ~/.cache/fuseki-cdc/kinesis-local-<version>} (or {@code $FUSEKI_CDC_KINESIS_LOCAL_DIR});
 * without node or npm the test is skipped loudly, or fails under {@code CI=true}. With
 * {@code persist}, its data is kept in a directory of the test's (written every second and on
 * shutdown), so {@link #stop} and {@link #start} are an outage that loses nothing; without, it
 * keeps it in memory only, which costs far less CPU (persisting writes every stream whole).
 */
final class LocalKinesis implements AutoCloseable {
    static final String PACKAGE = "kinesis-local";
    static final String VERSION = "0.6.2";
    /** The credentials every test JVM has in its environment (set in this module's pom), which kinesis-local accepts. */
    static final String ACCESS_KEY_ID = "fuseki-cdc-test";
    static final String REGION = "us-east-1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dataDir;
    private final boolean persist;
    private int port;
    private Process process;

    LocalKinesis(Path dataDir, boolean persist) {
        this.dataDir = dataDir;
        this.persist = persist;
    }

    private static LocalKinesis shared;

    /**
     * The in-memory service every test class of this JVM shares, each on streams of its own:
     * started on first use (and again if it stopped), stopped when the JVM exits. Tests that stop
     * or restart the service run their own.
     */
    static synchronized LocalKinesis shared() throws Exception {
        if ( shared == null ) {
            LocalKinesis k = new LocalKinesis(Files.createTempDirectory("fuseki-cdc-kinesis-local-"), false);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    k.stop();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }, "kinesis-local-stop"));
            shared = k;
        }
        if ( shared.process == null || !shared.process.isAlive() )
            shared.start();
        return shared;
    }

    /** The installed package directory; installs it when missing. */
    static synchronized Path installed() {
        Path base = System.getenv("FUSEKI_CDC_KINESIS_LOCAL_DIR") != null ? Path.of(System.getenv("FUSEKI_CDC_KINESIS_LOCAL_DIR"))
            : Path.of(System.getProperty("user.home"), ".cache", "fuseki-cdc", PACKAGE + "-" + VERSION);
        Path pkg = base.resolve("node_modules").resolve(PACKAGE);
        if ( Files.isRegularFile(pkg.resolve("main.js")) )
            return pkg;
        if ( !onPath("node") || !onPath("npm") ) {
            TestSupport.skipOrFail("Node.js (node and npm) not found on PATH; the Kinesis tests run " + PACKAGE + " " + VERSION + " with it"
                                   + " (apt-get install nodejs npm).");
            return null;
        }
        Path log = base.resolve("npm-install.log");
        try {
            Files.createDirectories(base);
            Process p = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", base.toString(), PACKAGE + "@" + VERSION)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if ( !p.waitFor(600, TimeUnit.SECONDS) ) {
                p.destroyForcibly();
                TestSupport.skipOrFail("npm install " + PACKAGE + "@" + VERSION + " took over 10 minutes; see " + log);
            }
            if ( p.exitValue() != 0 || !Files.isRegularFile(pkg.resolve("main.js")) )
                TestSupport.skipOrFail("npm install " + PACKAGE + "@" + VERSION + " failed (status " + p.exitValue() + "); see " + log);
            return pkg;
        } catch (IOException ex) {
            TestSupport.skipOrFail("cannot run npm to install " + PACKAGE + ": " + ex);
            return null;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private static boolean onPath(String name) {
        for ( String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator) )
            if ( !dir.isEmpty() && Files.isExecutable(Path.of(dir, name)) )
                return true;
        return false;
    }

    /** Start (again, on the same port and data after {@link #stop}). */
    synchronized void start() throws Exception {
        Path pkg = installed();
        Files.createDirectories(dataDir);
        if ( port == 0 )
            port = TestSupport.freePort();
        // The package reads its server.json from the working directory.
        ProcessBuilder pb = new ProcessBuilder("node", "main.js").directory(pkg.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("KINESIS_MOCK_PLAIN_PORT", Integer.toString(port));
        env.put("KINESIS_MOCK_TLS_PORT", Integer.toString(TestSupport.freePort()));
        env.put("SHOULD_PERSIST_DATA", Boolean.toString(persist));
        env.put("PERSIST_PATH", dataDir.toAbsolutePath().toString());
        env.put("PERSIST_INTERVAL", "1s");
        env.put("CREATE_STREAM_DURATION", "0ms");
        env.put("LOG_LEVEL", "ERROR");   // not the stack trace of every expected "stream not found"
        Process p = pb.start();
        Thread out = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null )
                    System.out.println("  [kinesis-local] " + line);
            } catch (IOException ex) {
                // The process ended.
            }
        }, "kinesis-local-output");
        out.setDaemon(true);
        out.start();
        long until = System.nanoTime() + START_TIMEOUT.toNanos();
        while ( !listening() ) {
            if ( !p.isAlive() )
                throw new IllegalStateException(PACKAGE + " exited with status " + p.exitValue() + " before it listened on port " + port);
            if ( System.nanoTime() > until ) {
                p.destroyForcibly();
                throw new IllegalStateException(PACKAGE + " did not listen on port " + port + " within " + START_TIMEOUT);
            }
            Thread.sleep(200);
        }
        process = p;
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException ex) {
            return false;
        }
    }

    /** Stop it as an operator would (SIGTERM: it writes its data first). */
    synchronized void stop() throws InterruptedException {
        Process p = process;
        process = null;
        if ( p == null )
            return;
        p.destroy();
        if ( !p.waitFor(30, TimeUnit.SECONDS) ) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Options of a sink or reader on this server, with a stream of its own. */
    Map<String, String> options(String stream) {
        Map<String, String> o = new java.util.HashMap<>();
        o.put("endpoint", endpoint());
        o.put("region", REGION);
        o.put("streamName", stream);
        o.put("createStream", "true");
        o.put("requestTimeoutSeconds", "5");
        return o;
    }

    static String uniqueStream(String tag) {
        return "fuseki-cdc-test-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Duration timeout() {
        return Duration.ofSeconds(10);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}

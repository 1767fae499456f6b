package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server process of a test's own (a broker, a database) on a loopback port, which the test
 * can stop as a service manager would (SIGTERM) and start again on the same port and store.
 */
public abstract class ServerProcess implements AutoCloseable {
    protected final int port;
    private final String name;
    private final Path logFile;
    private Process process;

    /**
     * @param name    the server's name in messages
     * @param logFile where the server's output goes, kept across restarts
     */
    protected ServerProcess(String name, Path logFile) throws IOException {
        this.name = name;
        this.logFile = logFile;
        this.port = TestSupport.freePort();
        Files.createDirectories(logFile.getParent());
    }

    /** The command line that starts the server on {@link #port}. */
    protected abstract List<String> command();

    /** Whether the server serves yet; false or an exception while it does not. */
    protected abstract boolean ready() throws Exception;

    /** Start the server and wait (up to 15 s) until it serves; fails the test, with its log, if it exits. */
    public void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(command()).redirectErrorStream(true)
                                               .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Exception last = null;
        while ( true ) {
            if ( !process.isAlive() )
                fail(name + " exited with " + process.exitValue() + "; see " + logFile + ":\n" + Files.readString(logFile));
            try {
                if ( ready() )
                    return;
            } catch (Exception ex) {
                last = ex;
            }
            if ( System.nanoTime() > deadline )
                fail(name + " on port " + port + " not ready within 15 s" + (last == null ? "" : ": " + last));
            Thread.sleep(50);
        }
    }

    /** Stop the server (SIGTERM) and wait for it to exit. */
    public void stop() throws InterruptedException {
        if ( process == null )
            return;
        process.destroy();
        if ( !process.waitFor(10, TimeUnit.SECONDS) ) {
            process.destroyForcibly();
            process.waitFor();
        }
        process = null;
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}

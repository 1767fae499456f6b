package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parent's side of {@link RelationalSourceChild}: starts it on a work directory and a
 * description, keeps the last number of each of its report lines, keeps the rest of its output in
 * {@code child.log} for failure messages, and kills it (SIGKILL, {@code destroyForcibly}).
 */
public final class SourceChildProcess {
    private static final Pattern REPORT = Pattern.compile("(VERSION|TRANSACTIONS|ROWS) (-?[0-9]+)");

    /** One committed database transaction. */
    @FunctionalInterface
    public interface Transaction {
        void commit() throws Exception;
    }

    /** What to do once the child of a round has started, before the round's transactions. */
    @FunctionalInterface
    public interface Started {
        void round(int round) throws Exception;
    }

    private final Path work;
    private final Path configFile;
    private final TestSourceDb database;
    private final Map<String, Long> reported = new ConcurrentHashMap<>();
    private Process child;

    public SourceChildProcess(Path work, Path configFile, TestSourceDb database) {
        this.work = work;
        this.configFile = configFile;
        this.database = database;
    }

    public void start() throws IOException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(javaBin, "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                                   RelationalSourceChild.class.getName(), work.toString(), configFile.toString(),
                                   database.provider().getClass().getName(), database.sourceName());
        child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        reported.clear();
        Process p = child;
        Path childLog = work.resolve("child.log");
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    Matcher m = REPORT.matcher(line.trim());
                    if ( m.matches() )
                        reported.put(m.group(1), Long.parseLong(m.group(2)));
                    else
                        Files.writeString(childLog, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
            } catch (Exception ex) {
                // child gone
            }
        }, "child-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** The number of the child's last {@code what} line (VERSION, TRANSACTIONS, ROWS); -1 before any since it started. */
    public long reported(String what) {
        return reported.getOrDefault(what, -1L);
    }

    public boolean isAlive() {
        return child != null && child.isAlive();
    }

    /** The child's output other than its reports, of every start since the file was last deleted. */
    public String output() throws IOException {
        Path f = work.resolve("child.log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    public void kill() throws InterruptedException {
        if ( child != null ) {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            child = null;
        }
    }

    /**
     * Rounds of: start the child; commit transactions, a random pause after each, until the log
     * has moved in this round and then a random while more; kill it; commit five more while the
     * source is down, for the next start to pick up. Fails when a round applies nothing within
     * {@code give}.
     */
    public void killWhileCommitting(int rounds, Random random, Duration give, Started started, Transaction transaction) throws Exception {
        long seen = 0;
        for ( int round = 0 ; round < rounds ; round++ ) {
            start();
            started.round(round);
            long killAt = Long.MAX_VALUE;
            long deadline = System.nanoTime() + give.toNanos();
            while ( System.nanoTime() < killAt ) {
                transaction.commit();
                Thread.sleep(15 + random.nextInt(25));
                if ( killAt == Long.MAX_VALUE && reported("VERSION") > seen )
                    killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200 + random.nextInt(1500));
                if ( System.nanoTime() > deadline )
                    fail("The source applied nothing in round " + round + "; child output:\n" + output());
            }
            seen = Math.max(0, reported("VERSION"));
            kill();
            for ( int k = 0 ; k < 5 ; k++ )
                transaction.commit();
        }
    }
}

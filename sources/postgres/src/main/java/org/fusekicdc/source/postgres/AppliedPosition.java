package org.fusekicdc.source.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;

/**
 * The commit LSN of the last source transaction applied to the dataset. The authority is the
 * change log: the patch of every applied transaction carries {@code sourceLsn}, and the log is
 * exact after a crash (its last record is kept only if the dataset committed it). A file beside
 * it ({@code applied-lsn}), written after each commit, saves scanning far back in a log with many
 * other writers and survives retention removing old segments.
 */
final class AppliedPosition {
    /** How far back from the head the start-up scan looks for the source's last patch. */
    static final int SCAN_LIMIT = 10_000;
    private static final Pattern HEADER = Pattern.compile("^H\\s+(\\S+)\\s+\"((?:[^\"\\\\]|\\\\.)*)\"\\s*\\.\\s*$");

    private final Path file;
    private volatile long lsn;

    private AppliedPosition(Path file, long lsn) {
        this.file = file;
        this.lsn = lsn;
    }

    /** The last applied position of source {@code source}: the later of the file's and the newest source patch in the log. */
    static AppliedPosition load(Path workDir, ChangeLog log, String source) {
        Path file = workDir.resolve("applied-lsn");
        long fromFile = -1;
        try {
            if ( Files.exists(file) )
                fromFile = parse(Files.readString(file).trim());
        } catch (IOException | IllegalArgumentException ex) {
            throw new IllegalStateException("Cannot read " + file + ": " + ex.getMessage() + ". Delete the file: the position is then taken from the change log.", ex);
        }
        long fromLog = scan(log, source);
        return new AppliedPosition(file, Math.max(fromFile, fromLog));
    }

    /**
     * The sourceLsn of the newest patch of {@code source} (a transaction's commit LSN, or the
     * position of a snapshot, which shows every transaction committed before it) among
     * the log's last {@link #SCAN_LIMIT} records, or -1.
     */
    static long scan(ChangeLog log, String source) {
        long head = log.headVersion();
        long stop = Math.max(log.firstVersion(), head - SCAN_LIMIT + 1);
        for ( long v = head ; v >= stop && v > 0 ; v-- ) {
            LogRecord r;
            try {
                r = log.read(v);
            } catch (DamagedRecordException ex) {
                throw ex;   // the position cannot be known: guessing could apply a transaction twice
            } catch (RuntimeException ex) {
                break;  // removed by retention meanwhile
            }
            String src = null, lsnText = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.openPayload(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null && line.startsWith("H") ) {
                    Matcher m = HEADER.matcher(line);
                    if ( !m.matches() )
                        continue;
                    switch (m.group(1)) {
                        case PatchHeaders.SOURCE -> src = m.group(2);
                        case PatchHeaders.SOURCE_LSN -> lsnText = m.group(2);
                        default -> {}
                    }
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            if ( source.equals(src) && lsnText != null )
                return parse(lsnText);
        }
        return -1;
    }

    long lsn() {
        return lsn;
    }

    /** Record that the transaction with this commit LSN is committed in the dataset. */
    void advance(long commitLsn) {
        lsn = commitLsn;
        Path tmp = file.resolveSibling("applied-lsn.tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(tmp, format(commitLsn) + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            // The change log still has it; only the start-up scan gets longer.
            org.slf4j.LoggerFactory.getLogger(AppliedPosition.class).warn("Cannot write {}: {}", file, ex.toString());
        }
    }

    /** PostgreSQL's text form of an LSN, e.g. {@code 0/16B3748}. */
    static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }

    static long parse(String text) {
        int slash = text.indexOf('/');
        if ( slash < 0 )
            throw new IllegalArgumentException("not an LSN: " + text);
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}

package org.fusekicdc.source.relational;

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
 * The position of the last source transaction applied to the dataset. The authority is the
 * change log: the patch of every applied transaction carries the dialect's position header
 * ({@code sourceLsn}, {@code sourceBinlog}), and the log is exact after a crash (its last record
 * is kept only if the dataset committed it). A file beside it ({@code applied-position}), written
 * after each commit, saves scanning far back in a log with many other writers and survives
 * retention removing old segments.
 */
public final class AppliedPosition {
    /** How far back from the head the start-up scan looks for the source's last patch. */
    static final int SCAN_LIMIT = 10_000;
    private static final Pattern HEADER = Pattern.compile("^H\\s+(\\S+)\\s+\"((?:[^\"\\\\]|\\\\.)*)\"\\s*\\.\\s*$");

    private final Path file;
    private volatile Position position;

    private AppliedPosition(Path file, Position position) {
        this.file = file;
        this.position = position;
    }

    /** The last applied position of source {@code source}: the later of the file's and the newest source patch in the log. */
    public static AppliedPosition load(Path workDir, ChangeLog log, String source, Dialect dialect) {
        Path file = workDir.resolve("applied-position");
        Position fromFile = null;
        try {
            if ( Files.exists(file) )
                fromFile = dialect.parse(Files.readString(file).trim());
        } catch (IOException | IllegalArgumentException ex) {
            throw new IllegalStateException("Cannot read " + file + ": " + ex.getMessage() + ". Delete the file: the position is then taken from the change log.", ex);
        }
        Position fromLog = scan(log, source, dialect);
        Position later = fromFile == null ? fromLog : fromLog == null ? fromFile : fromLog.isAfter(fromFile) ? fromLog : fromFile;
        return new AppliedPosition(file, later);
    }

    /**
     * The position of the newest patch of {@code source} (a transaction's commit position, or the
     * position of a snapshot, which shows every transaction committed before it) among
     * the log's last {@link #SCAN_LIMIT} records, or null.
     */
    static Position scan(ChangeLog log, String source, Dialect dialect) {
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
            String src = null, positionText = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.openPayload(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null && line.startsWith("H") ) {
                    Matcher m = HEADER.matcher(line);
                    if ( !m.matches() )
                        continue;
                    if ( m.group(1).equals(PatchHeaders.SOURCE) )
                        src = m.group(2);
                    else if ( m.group(1).equals(dialect.positionHeader()) )
                        positionText = m.group(2);
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            if ( source.equals(src) && positionText != null )
                return dialect.parse(positionText);
        }
        return null;
    }

    /** The position of the last applied transaction, null before the first. */
    public Position position() {
        return position;
    }

    /** Record that the transaction at this position is committed in the dataset. */
    void advance(Position committed) {
        position = committed;
        Path tmp = file.resolveSibling("applied-position.tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(tmp, committed.text() + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            // The change log still has it; only the start-up scan gets longer.
            org.slf4j.LoggerFactory.getLogger(AppliedPosition.class).warn("Cannot write {}: {}", file, ex.toString());
        }
    }
}

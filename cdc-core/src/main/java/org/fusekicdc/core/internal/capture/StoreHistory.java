package org.fusekicdc.core.internal.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Properties;
import java.util.UUID;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.History;
import org.fusekicdc.core.internal.log.LogArchive;
import org.fusekicdc.core.internal.log.LogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties a store to its change log, so that versions never start again at 1 over data that
 * consumers have seen versions of. The store's directory holds a small marker file
 * ({@value #MARKER_FILE}) naming the {@link History} its log holds; the log records the same.
 * Opening refuses a store whose log is missing or empty while the store holds data or a marker, a
 * log of another history, and (from {@link ChangeLog#open}) a damaged log; each refusal names the
 * fix. The explicit way on without the old log is a new history: its epoch (the old one plus one)
 * must be asked for by number, so a setting left in place cannot start another one later.
 * <p>
 * An in-memory store has nothing to check: it starts anew at every start.
 */
public final class StoreHistory {
    private static final Logger LOG = LoggerFactory.getLogger(StoreHistory.class);
    /** The marker file in the store's directory. */
    public static final String MARKER_FILE = "fuseki-cdc-history.properties";
    private static final String FIX_HINT = "see docs/operations.md, \"Starting a new history\"";

    private final ChangeLogConfig config;
    private final String dataset;
    private final DatasetGraph store;
    private final Path storeDirectory;
    private final long newEpoch;

    private StoreHistory(ChangeLogConfig config, DatasetGraph store, Path storeDirectory, long newEpoch) {
        this.config = config;
        this.dataset = config.dataset();
        this.store = store;
        this.storeDirectory = storeDirectory;
        this.newEpoch = newEpoch;
    }

    /**
     * Open the change log of {@code store}, checking that it belongs to it, and claim its writer
     * (to record the history); hand that writer to {@link CapturingDatasetGraph#create(DatasetGraph, LogWriter, CaptureConfig)}.
     *
     * @param storeDirectory where the store keeps its files (the marker goes there); null for an in-memory store
     * @param newEpoch       the epoch of a new history to start if the log is missing, damaged or not the
     *                       store's ({@code cdc:startNewHistory}); 0 for none
     * @throws ChangeLogException if the log is missing, damaged or another history's and no new history was asked
     *                            for, or {@code newEpoch} is not the next epoch
     */
    public static LogWriter open(ChangeLogConfig config, DatasetGraph store, Path storeDirectory, long newEpoch) {
        if ( newEpoch < 0 )
            throw new IllegalArgumentException("newEpoch must be 0 (none) or more, got " + newEpoch);
        return new StoreHistory(config, store, storeDirectory, newEpoch).open();
    }

    private LogWriter open() {
        History stored = storeDirectory == null ? null : readMarker();
        LogWriter log;
        try {
            log = LogWriter.claim(ChangeLog.open(config));
        } catch (DamagedRecordException ex) {
            if ( newEpoch == 0 )
                throw ex;
            return startNew(null, stored == null ? 0 : stored.epoch(), "its change log is damaged (" + ex.damage().describe() + ")");
        }
        try {
            return settle(log, stored);
        } catch (RuntimeException ex) {
            if ( !log.log().isClosed() )
                log.log().close();
            throw ex;
        }
    }

    private LogWriter settle(LogWriter writer, History stored) {
        ChangeLog log = writer.log();
        History logged = log.history();
        boolean logEmpty = log.headVersion() == 0 && log.headId() == null;
        String mismatch = storeDirectory == null ? null : mismatch(log, stored, logged, logEmpty);
        if ( mismatch == null ) {
            History h = logged != null ? logged : stored != null ? stored : History.create(0);
            if ( logged == null )
                writer.recordHistory(h);
            if ( storeDirectory != null && stored == null )
                writeMarker(h);
            if ( newEpoch != 0 )
                LOG.info("Dataset '{}': cdc:startNewHistory {} has nothing to do: the change log and the store are at epoch {}. Remove it from the configuration.",
                         dataset, newEpoch, h.epoch());
            return writer;
        }
        if ( newEpoch != 0 && logged != null && logged.epoch() == newEpoch && logEmpty ) {
            // A new history that stopped between recording it in the log and in the store: finish it.
            writeMarker(logged);
            return writer;
        }
        long current = Math.max(stored == null ? 0 : stored.epoch(), logged == null ? 0 : logged.epoch());
        if ( newEpoch == 0 )
            throw new ChangeLogException("Dataset '" + dataset + "': " + mismatch + ". Restore the change log directory " + config.directory()
                                         + " from the backup taken with the store, or point cdc:logDirectory at this store's log. Or, to start a new"
                                         + " history over the data the store holds (versions start again at 1; consumers must reload from a snapshot),"
                                         + " start once with cdc:startNewHistory " + (current + 1) + ": " + FIX_HINT + ".");
        if ( !logEmpty )
            log.close();
        return startNew(logEmpty ? writer : null, current, mismatch);
    }

    /** Why the log is not the store's, or null when it is (or the pair is new, or older than markers). */
    private String mismatch(ChangeLog log, History stored, History logged, boolean logEmpty) {
        Path marker = storeDirectory.resolve(MARKER_FILE);
        if ( stored == null && logged == null ) {
            if ( logEmpty && !storeEmpty() )
                return "the store in " + storeDirectory + " holds data but its change log " + config.directory()
                       + " is missing or empty: the log was lost, or the store has never been captured. Versions would start again at 1"
                       + " over data that consumers may have seen versions of";
            return null;
        }
        if ( stored == null ) {
            if ( logEmpty && storeEmpty() )
                return null;
            return "the change log " + config.directory() + " holds history " + describe(logged) + " up to version " + log.headVersion()
                   + " but the store in " + storeDirectory + " has no " + MARKER_FILE + ": the store was replaced, or restored without that file";
        }
        if ( logged == null )
            return "the store in " + storeDirectory + " belongs to history " + describe(stored) + " (" + marker + ") but its change log "
                   + config.directory() + (logEmpty ? " is missing or empty" : " records no history: it is not this store's log");
        if ( !logged.id().equals(stored.id()) )
            return "the change log " + config.directory() + " holds history " + describe(logged) + " but the store in " + storeDirectory
                   + " belongs to history " + describe(stored) + ": the log is another store's, or one of them was restored from another backup";
        return null;
    }

    private static String describe(History h) {
        return h.id() + " (epoch " + h.epoch() + ")";
    }

    private boolean storeEmpty() {
        return Txn.calculateRead(store, () -> store.isEmpty() && store.prefixes().isEmpty());
    }

    private LogWriter startNew(LogWriter emptyLog, long current, String reason) {
        if ( newEpoch != current + 1 )
            throw new ChangeLogException("Dataset '" + dataset + "': cdc:startNewHistory is " + newEpoch + ", but the new history's epoch would be "
                                         + (current + 1) + " (the store's history is at epoch " + current + "). Set cdc:startNewHistory "
                                         + (current + 1) + " to start it: " + FIX_HINT + ".");
        LogWriter log = emptyLog;
        Path aside = null;
        if ( log == null ) {
            String name = "epoch-" + current + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss"));
            aside = LogArchive.moveAside(config.directory().toAbsolutePath(), dataset, name);
            log = LogWriter.claim(ChangeLog.open(config));
        }
        try {
            History h = History.create(newEpoch);
            // The log first: a stop before the marker is written is finished on the next start (see settle).
            log.recordHistory(h);
            if ( storeDirectory != null )
                writeMarker(h);
            LOG.warn("Dataset '{}': started a new history, epoch {}, because {}; versions start again at 1{}. Consumers must reload from a snapshot."
                     + " Remove cdc:startNewHistory from the configuration.",
                     dataset, newEpoch, reason, aside == null ? "" : "; the old log was moved to " + aside);
            return log;
        } catch (RuntimeException ex) {
            log.log().close();
            throw ex;
        }
    }

    private History readMarker() {
        Path file = storeDirectory.resolve(MARKER_FILE);
        if ( !Files.exists(file) )
            return null;
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            return new History(UUID.fromString(p.getProperty("historyId")), Long.parseLong(p.getProperty("epoch")));
        } catch (IOException | RuntimeException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': the store's history marker " + file + " is unreadable (" + ex
                                         + "). Restore it from the backup taken with the store.", ex);
        }
    }

    private void writeMarker(History h) {
        Path file = storeDirectory.resolve(MARKER_FILE);
        Path tmp = storeDirectory.resolve(MARKER_FILE + ".tmp");
        Properties p = new Properties();
        p.setProperty("historyId", h.id().toString());
        p.setProperty("epoch", Long.toString(h.epoch()));
        p.setProperty("dataset", dataset);
        p.setProperty("logDirectory", config.directory().toAbsolutePath().toString());
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "fuseki-cdc: the history of this store's change log. Keep it with the store (backups included).");
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(storeDirectory, StandardOpenOption.READ)) {
                ch.force(true);
            }
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot write the store's history marker " + file + ": " + ex
                                         + ". Give the Fuseki user write access to " + storeDirectory + ".", ex);
        }
    }
}

package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.fusekicdc.core.CdcConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A change log's directory, held open: created and checked writable and owned by the dataset,
 * and locked (an operating-system lock) so that no other process or dataset opens the same log.
 */
final class LogDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(LogDirectory.class);
    private static final String LOCK_FILE = "changelog.lock";

    private final FileChannel lockChannel;
    private final FileLock lock;

    private LogDirectory(FileChannel lockChannel, FileLock lock) {
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Create (if needed), check and lock the log directory {@code dir} of {@code dataset}.
     *
     * @throws CdcConfigException if it cannot be created or written, belongs to another dataset or
     *         is already open
     * @throws IOException if the lock file cannot be opened
     */
    static LogDirectory lock(Path dir, String dataset) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (AccessDeniedException ex) {
            throw new CdcConfigException("Dataset '" + dataset + "': cannot create the change log directory " + dir
                                         + ": permission denied. Create it and give the Fuseki user write access to it,"
                                         + " or set cdc:logDirectory to a writable path.", ex);
        } catch (IOException ex) {
            throw new CdcConfigException("Dataset '" + dataset + "': cannot create the change log directory " + dir
                                         + ": " + ex + ". Set cdc:logDirectory to a writable directory.", ex);
        }
        if ( !Files.isWritable(dir) )
            throw new CdcConfigException("Dataset '" + dataset + "': the change log directory " + dir
                                         + " is not writable. Give the Fuseki user write access to it, or set cdc:logDirectory to a writable path.");
        LogProperties.checkOwner(dir, dataset);
        FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException ex) {
            lock = null;
        } catch (IOException | RuntimeException ex) {
            closeQuietly(channel);
            throw ex;
        }
        if ( lock == null ) {
            closeQuietly(channel);
            throw new CdcConfigException("Dataset '" + dataset + "': the change log " + dir
                                         + " is already open (by another Fuseki process or another dataset in this one)."
                                         + " Each captured dataset needs its own cdc:logDirectory.");
        }
        return new LogDirectory(channel, lock);
    }

    /** Release the lock after a failed open. */
    void abandon() {
        closeQuietly(lockChannel);
    }

    /** Release the lock: the log is closed. */
    void release() throws IOException {
        lock.release();
        lockChannel.close();
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ex) {
            LOG.debug("closing lock file: {}", ex.toString());
        }
    }
}

package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Moves a closed change log's files aside, so that a new history can start in the same directory. */
public final class LogArchive {
    private LogArchive() {}

    /**
     * Move the segments, indexes, properties and reader cursors of the (closed) log in {@code dir}
     * into a new sub-directory {@code name}; other files (snapshots, spill, source offsets) stay.
     *
     * @return the directory now holding the old log
     */
    public static Path moveAside(Path dir, String dataset, String name) {
        Path target = dir.resolve(name);
        try {
            Files.createDirectory(target);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "{*.log,*.idx," + LogProperties.META_FILE + "," + ChangeLog.READERS_DIR + "}")) {
                for ( Path p : ds )
                    Files.move(p, target.resolve(p.getFileName()));
            }
            LogProperties.forceDirectory(dir);
            return target;
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot move the change log in " + dir + " aside to " + target + ": " + ex
                                         + ". Move its *.log, *.idx, " + LogProperties.META_FILE + " and " + ChangeLog.READERS_DIR
                                         + "/ elsewhere by hand, then start again.", ex);
        }
    }
}

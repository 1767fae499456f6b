package org.fusekicdc.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import org.apache.jena.atlas.lib.FileOps;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An extension that opens a change log (dataset "ds") for each test, in a directory of the
 * test's own: made before the test; the log closed and the directory deleted after it.
 */
abstract class PerTestLog implements BeforeEachCallback, AfterEachCallback {
    private Path dir;
    protected ChangeLog log;

    @Override
    public final void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory(getClass().getSimpleName() + "-");
        open(UnaryOperator.identity());
    }

    @Override
    public final void afterEach(ExtensionContext context) throws IOException {
        try {
            if ( log != null )
                log.close();
        } finally {
            FileOps.clearAll(dir.toString());
            Files.deleteIfExists(dir);
        }
    }

    public final ChangeLog log() {
        return log;
    }

    /** Closes the log and opens one again, with {@code change} applied to its configuration (a clock, retention, ...). */
    public final void reopen(UnaryOperator<ChangeLogConfig> change) {
        log.close();
        open(change);
    }

    /** The test's directory. */
    protected final Path dir() {
        return dir;
    }

    /** Opens the log, in {@link #dir()}, with {@code change} applied to its configuration, and what goes with it. */
    protected abstract void open(UnaryOperator<ChangeLogConfig> change);
}

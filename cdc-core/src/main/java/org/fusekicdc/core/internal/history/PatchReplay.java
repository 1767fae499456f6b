package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.fusekicdc.core.internal.log.LogRecord;

/** Reads the changes of a logged patch into an {@link RDFChanges}, streaming from the log file. */
public final class PatchReplay {
    private PatchReplay() {}

    /** Pass every line of the record's patch, in order, to {@code into}. */
    public static void replay(LogRecord record, RDFChanges into) {
        try (InputStream in = record.openPayload()) {
            new RDFPatchReaderText(in).apply(into);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read version " + record.version() + " from the change log: " + ex, ex);
        }
    }
}

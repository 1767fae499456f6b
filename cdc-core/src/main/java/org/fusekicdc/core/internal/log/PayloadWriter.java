package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes one patch into the log. The log has already chosen the record's version, id, previous
 * id and time, so the writer can put them into the patch's headers.
 */
@FunctionalInterface
public interface PayloadWriter {
    void write(RecordMeta meta, OutputStream out) throws IOException;
}

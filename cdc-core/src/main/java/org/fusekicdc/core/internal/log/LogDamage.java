package org.fusekicdc.core.internal.log;

import java.nio.file.Path;

/**
 * A record of the change log that failed its check: where it is and what is wrong.
 *
 * @param segment the segment file holding it
 * @param version the version the record holds (or should hold, when its header is unreadable)
 * @param offset  its byte offset in the segment file
 * @param problem what the check found, e.g. "checksum mismatch"
 */
public record LogDamage(Path segment, long version, long offset, String problem) {
    /** "version 5 in segment /x/00000000000000000004.log at byte 368: checksum mismatch" */
    public String describe() {
        return "version " + version + " in segment " + segment + " at byte " + offset + ": " + problem;
    }
}

package org.fusekicdc.core.internal.log;

/** A reader asked for a version that retention has already removed from the log. */
public class VersionGoneException extends ChangeLogException {
    private final long requested;
    private final long oldestAvailable;

    public VersionGoneException(String dataset, long requested, long oldestAvailable) {
        super("Dataset '" + dataset + "': version " + requested + " has been removed from the change log by retention; "
              + "the oldest version still available is " + oldestAvailable
              + ". Start again from a snapshot, or read from version " + oldestAvailable + ".");
        this.requested = requested;
        this.oldestAvailable = oldestAvailable;
    }

    public long requested() {
        return requested;
    }

    public long oldestAvailable() {
        return oldestAvailable;
    }
}

package org.fusekicdc.core.internal.log;

/**
 * A record of the change log failed its check (checksum, record marker, version or length):
 * its bytes on disk are not what was written. Nothing of it is served.
 */
public class DamagedRecordException extends ChangeLogException {
    /** What an operator does about a damaged record; the same advice wherever it is found. */
    public static final String FIX = "Restore the change log directory from a backup taken together with the dataset,"
                                     + " or, if there is none, start a new history over the data the store holds"
                                     + " (cdc:startNewHistory; consumers then reload from a snapshot): see docs/operations.md, \"A damaged change log\".";

    private final transient LogDamage damage;

    public DamagedRecordException(String dataset, LogDamage damage, String context) {
        super("Dataset '" + dataset + "': the change log record of " + damage.describe() + ". " + context + " " + FIX);
        this.damage = damage;
    }

    public LogDamage damage() {
        return damage;
    }
}

package org.fusekicdc.core.internal.log;

import java.util.UUID;

/**
 * Which history of a dataset a change log holds. A store and its log carry the same history;
 * starting a new history (versions begin again at 1) gives it a new id and the next epoch, which
 * consumers see in the {@code epoch} patch header, the feed and the status.
 *
 * @param id    unique id of this history
 * @param epoch 0 for a dataset's first history, one more for each new history started over it
 */
public record History(UUID id, long epoch) {
    /** A fresh history with the given epoch. */
    public static History create(long epoch) {
        return new History(UUID.randomUUID(), epoch);
    }
}

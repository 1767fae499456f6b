package org.fusekicdc.core.internal.history;

import java.util.Objects;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;

/**
 * Where a sink reads its dataset as of a patch's version (entity documents): the captured
 * dataset itself and its history copies. The runtime that owns the dataset hands it to the
 * dataset's sink runners, which pass it on with every patch, so a read never looks the dataset
 * up by name.
 *
 * @param dataset   the captured dataset
 * @param snapshots its history copies, or null when it keeps none
 */
public record AsOfSource(CapturingDatasetGraph dataset, HistorySnapshots snapshots) {
    public AsOfSource {
        Objects.requireNonNull(dataset, "dataset");
    }

    /** A dataset without history copies: every read starts from its current state. */
    public AsOfSource(CapturingDatasetGraph dataset) {
        this(dataset, null);
    }

    /** Begin a read as of {@code version}; see {@link AsOfRead#begin(CapturingDatasetGraph, long, long, HistorySnapshots)}. */
    public AsOfRead begin(long version, long maxChangedQuads) {
        return AsOfRead.begin(dataset, version, maxChangedQuads, snapshots);
    }
}

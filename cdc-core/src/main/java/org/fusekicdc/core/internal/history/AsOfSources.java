package org.fusekicdc.core.internal.history;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;

/**
 * The captured datasets of this server by name, for what reads a dataset as of a patch's version
 * from a sink (entity documents): a sink is created with the dataset's name only. One entry per
 * dataset, replaced when the dataset is opened again and removed when it closes.
 */
public final class AsOfSources {
    /** A captured dataset and its history copies (null when it keeps none). */
    public record Source(CapturingDatasetGraph dataset, HistorySnapshots snapshots) {}

    private static final Map<String, Source> BY_NAME = new ConcurrentHashMap<>();

    private AsOfSources() {}

    public static void register(CapturingDatasetGraph dataset, HistorySnapshots snapshots) {
        BY_NAME.put(dataset.datasetName(), new Source(dataset, snapshots));
    }

    /** Remove the entry, if it is still this dataset's. */
    public static void unregister(CapturingDatasetGraph dataset) {
        BY_NAME.computeIfPresent(dataset.datasetName(), (k, s) -> s.dataset() == dataset ? null : s);
    }

    public static Optional<Source> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }
}

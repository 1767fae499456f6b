package org.fusekicdc.rsp;

import org.apache.jena.sparql.core.DatasetGraph;

/**
 * Opens the dataset as it was at a version, for the part of a query outside WINDOW blocks.
 * The serving side implements it with the current dataset at the head and the history's
 * as-of reader below it.
 */
@FunctionalInterface
public interface VersionReader {
    /** The dataset at {@code version}; the engine closes the view when the step is evaluated. */
    View open(long version);

    /** A read-only view at one version. */
    interface View extends AutoCloseable {
        DatasetGraph dataset();

        @Override
        void close();
    }

    /** A view of a dataset that the caller keeps at the right version (tests, a dataset at the head). */
    static View of(DatasetGraph dataset) {
        return new View() {
            @Override
            public DatasetGraph dataset() {
                return dataset;
            }

            @Override
            public void close() {}
        };
    }
}

package org.fusekicdc.fuseki.runtime;

import org.apache.jena.sparql.core.DatasetGraphWrapper;

/**
 * What the assembler gives Fuseki for a {@code cdc:CapturedDataset}: the capturing dataset,
 * unchanged, carrying its runtime so that every endpoint finds it from the dataset it serves.
 */
final class ServedDataset extends DatasetGraphWrapper {
    private final DatasetRuntime runtime;

    ServedDataset(DatasetRuntime runtime) {
        super(runtime.dataset());
        this.runtime = runtime;
    }

    DatasetRuntime runtime() {
        return runtime;
    }
}

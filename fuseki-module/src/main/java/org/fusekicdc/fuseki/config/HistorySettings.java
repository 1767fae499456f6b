package org.fusekicdc.fuseki.config;

import java.nio.file.Path;

/**
 * A captured dataset's history copies for as-of reads: one every {@code every} versions (0: none),
 * the newest {@code kept} kept, under {@code directory}; and whether the resource-history index is kept.
 */
public record HistorySettings(long every, int kept, Path directory, boolean index) {
    public static final int DEFAULT_KEPT = 2;

    public boolean enabled() {
        return every > 0;
    }
}

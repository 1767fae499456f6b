package org.fusekicdc.rsp;

import java.util.List;

import org.fusekicdc.core.config.Option;

/**
 * Limits of one dataset's stream engine.
 *
 * @param maxWindowQuads the most quad events one window may hold ({@link #MAX_WINDOW_QUADS})
 */
public record StreamEngineConfig(long maxWindowQuads) {
    public static final Option<Long> MAX_WINDOW_QUADS = Option.integer("maxWindowQuads", "integer", 1_000_000,
        "The most quad events one window of a continuous query may hold. A count window larger than this "
        + "is refused at registration; a time or session window that grows past it fails its query with an "
        + "error naming this option (raise it, or shorten the window's RANGE or narrow its GRAPH).")
        .range(1, Integer.MAX_VALUE);

    /** Every option of the engine, for the configuration reference. */
    public static final List<Option<?>> OPTIONS = List.of(MAX_WINDOW_QUADS);

    public static final StreamEngineConfig DEFAULTS = new StreamEngineConfig(MAX_WINDOW_QUADS.defaultValue());

    public StreamEngineConfig {
        String problem = MAX_WINDOW_QUADS.problem(maxWindowQuads);
        if ( problem != null )
            throw new ContinuousQueryException(MAX_WINDOW_QUADS.prefixedName() + " " + problem);
    }
}

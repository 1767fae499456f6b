package org.fusekicdc.rsp;

import java.util.List;

import org.fusekicdc.core.config.Option;

/**
 * Limits of one dataset's stream engine.
 *
 * @param maxWindowQuads the most quad events one window may hold ({@link #MAX_WINDOW_QUADS})
 * @param incremental    whether queries of an incremental shape are evaluated incrementally ({@link #INCREMENTAL})
 */
public record StreamEngineConfig(long maxWindowQuads, boolean incremental) {
    public static final Option<Long> MAX_WINDOW_QUADS = Option.integer("maxWindowQuads", "integer", 1_000_000,
        "The most quad events one window of a continuous query may hold. A count window larger than this "
        + "is refused at registration; a time or session window that grows past it fails its query with an "
        + "error naming this option (raise it, or shorten the window's RANGE or narrow its GRAPH).")
        .range(1, Integer.MAX_VALUE);

    public static final Option<Boolean> INCREMENTAL = Option.bool("incrementalWindows", true,
        "Whether continuous queries of an incremental shape (a grouped COUNT/SUM/AVG/MIN/MAX over one time window "
        + "whose WINDOW block is a star, see docs/stream-processing.md) update their aggregates as events enter and leave "
        + "the window. false re-evaluates every query over its whole window at each step: same answers, slower; for "
        + "comparison and diagnosis.");

    /** Every option of the engine, for the configuration reference. */
    public static final List<Option<?>> OPTIONS = List.of(MAX_WINDOW_QUADS, INCREMENTAL);

    public static final StreamEngineConfig DEFAULTS = new StreamEngineConfig(MAX_WINDOW_QUADS.defaultValue(), INCREMENTAL.defaultValue());

    /** The defaults with another window budget. */
    public StreamEngineConfig(long maxWindowQuads) {
        this(maxWindowQuads, INCREMENTAL.defaultValue());
    }

    public StreamEngineConfig {
        String problem = MAX_WINDOW_QUADS.problem(maxWindowQuads);
        if ( problem != null )
            throw new ContinuousQueryException(MAX_WINDOW_QUADS.prefixedName() + " " + problem);
    }
}

package org.fusekicdc.rsp;

import java.util.List;

import org.fusekicdc.core.config.Option;

/**
 * Limits of one dataset's stream engine.
 *
 * @param maxWindowQuads the most quad events one window may hold ({@link #MAX_WINDOW_QUADS})
 * @param incremental    whether queries of an incremental shape are evaluated incrementally ({@link #INCREMENTAL})
 * @param costlyStepMillis a step whose evaluation takes longer makes its query costly ({@link #COSTLY_STEP_MILLIS})
 */
public record StreamEngineConfig(long maxWindowQuads, boolean incremental, long costlyStepMillis) {
    public static final Option<Long> MAX_WINDOW_QUADS = Option.integer("maxWindowQuads", "integer", 1_000_000,
        "The most quad events one window of a continuous query may hold. Refused at registration: a count window larger "
        + "than this, and (over HTTP) a commit-time window whose RANGE, counted back from now in the change log, already "
        + "holds more events it would keep. A time or session window that grows past it at run time fails its query with "
        + "an error naming this option (raise it, or shorten the window's RANGE or narrow its GRAPH); the other queries go on.")
        .range(1, Integer.MAX_VALUE);

    public static final Option<Boolean> INCREMENTAL = Option.bool("incrementalWindows", true,
        "Whether continuous queries of an incremental shape (a grouped COUNT/SUM/AVG/MIN/MAX over one time window "
        + "whose WINDOW block is a star, see docs/stream-processing.md) update their aggregates as events enter and leave "
        + "the window. false re-evaluates every query over its whole window at each step: same answers, slower; for "
        + "comparison and diagnosis.");

    public static final Option<Long> COSTLY_STEP_MILLIS = Option.integer("streamCostlyStepMillis", "integer (ms)", 500,
        "A continuous query one of whose steps takes longer than this to evaluate is costly: it moves, with its windows, from the "
        + "dataset's shared feeder thread to a thread of its own that reads the change log at its own pace, so that it never again "
        + "delays the steps of the other queries (see cdc:streamMaxLagVersions for how far it may fall behind).")
        .range(1, 3_600_000);

    /** Every option of the engine, for the configuration reference. */
    public static final List<Option<?>> OPTIONS = List.of(MAX_WINDOW_QUADS, INCREMENTAL, COSTLY_STEP_MILLIS);

    public static final StreamEngineConfig DEFAULTS = new StreamEngineConfig(MAX_WINDOW_QUADS.defaultValue(), INCREMENTAL.defaultValue(),
                                                                             COSTLY_STEP_MILLIS.defaultValue());

    /** The defaults with another window budget. */
    public StreamEngineConfig(long maxWindowQuads) {
        this(maxWindowQuads, INCREMENTAL.defaultValue());
    }

    /** The defaults with another window budget and plan. */
    public StreamEngineConfig(long maxWindowQuads, boolean incremental) {
        this(maxWindowQuads, incremental, COSTLY_STEP_MILLIS.defaultValue());
    }

    public StreamEngineConfig {
        for ( String problem : new String[] { problem(MAX_WINDOW_QUADS, maxWindowQuads), problem(COSTLY_STEP_MILLIS, costlyStepMillis) } )
            if ( problem != null )
                throw new ContinuousQueryException(problem);
    }

    private static String problem(Option<Long> option, long value) {
        String problem = option.problem(value);
        return problem == null ? null : option.prefixedName() + " " + problem;
    }
}

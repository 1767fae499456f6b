package org.fusekicdc.fuseki.config;

import java.time.Duration;

import org.apache.jena.sparql.util.Symbol;

/**
 * Change feed settings of one captured dataset, kept in the dataset's context so that the
 * feed endpoint finds them.
 *
 * @param maxStreams most live streams at once
 * @param heartbeat  interval of heartbeat comments on an idle live stream
 */
public record FeedSettings(int maxStreams, Duration heartbeat) {
    public static final int DEFAULT_MAX_STREAMS = 64;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    public static final FeedSettings DEFAULTS = new FeedSettings(DEFAULT_MAX_STREAMS, DEFAULT_HEARTBEAT);

    /** Context key of a captured dataset's feed settings. */
    public static final Symbol SYMBOL = Symbol.create(VocabCdc.NS + "feedSettings");
}

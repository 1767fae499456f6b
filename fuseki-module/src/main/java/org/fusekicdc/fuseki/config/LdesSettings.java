package org.fusekicdc.fuseki.config;

import java.time.Duration;

/**
 * Linked Data Event Stream settings of one captured dataset ({@code cdc:ldes}).
 *
 * @param pageSize versions per page of the stream's view
 * @param maxAge   how long the newest page and the stream's description may be cached
 */
public record LdesSettings(int pageSize, Duration maxAge) {
    public static final int DEFAULT_PAGE_SIZE = 100;
    /** As many as one change feed page: a page is read from the log at once, before its first byte is sent. */
    public static final int MAX_PAGE_SIZE = 1000;
    /** Short: a client polling the newest page sees a new version within a few seconds, through a cache too. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(5);
}

package org.fusekicdc.fuseki.config;

import java.time.Duration;

/**
 * Change feed settings of one captured dataset.
 *
 * @param maxStreams          most live streams at once
 * @param maxStreamsPerClient most live streams of one client (user, else address) at once
 * @param heartbeat           interval of heartbeat comments on an idle live stream
 * @param slowReaderTimeout   how long a live stream's client may take none of the data waiting for it before it is disconnected
 */
public record FeedSettings(int maxStreams, int maxStreamsPerClient, Duration heartbeat, Duration slowReaderTimeout) {
    public static final int DEFAULT_MAX_STREAMS = 64;
    public static final int DEFAULT_MAX_STREAMS_PER_CLIENT = 8;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    /** Below Jetty's idle timeout (30 s), so that a stalled client is dropped here, with the reason logged. */
    public static final Duration DEFAULT_SLOW_READER_TIMEOUT = Duration.ofSeconds(20);
}

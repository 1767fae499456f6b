package org.fusekicdc.fuseki.config;

import java.time.Duration;

import org.fusekicdc.live.LiveConfig;

/**
 * Live query settings of one captured dataset.
 *
 * @param engineConfig      limits of the engine
 * @param heartbeat         interval of heartbeat comments (WebSocket pings) on an idle live stream
 * @param allowedOrigins    web pages that may open a WebSocket
 * @param slowReaderTimeout how long a client may take none of the data waiting for it before it is disconnected
 */
public record LiveSettings(LiveConfig engineConfig, Duration heartbeat, AllowedOrigins allowedOrigins, Duration slowReaderTimeout) {
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(20);
}
